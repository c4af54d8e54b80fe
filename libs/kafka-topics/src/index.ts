export {
  ensureTopics,
  waitForLeaders,
  waitForTopics,
  TopicNotReadyError,
  type TopicSpec,
  type WaitOptions,
} from './topics';
