// @syncline/kafka-topics: Syncline's topic names, and creating topics that are ready to use.
export {
  ensureTopics,
  waitForLeaders,
  waitForTopics,
  TopicNotReadyError,
  type TopicSpec,
  type WaitOptions,
} from './topics';
export { topicNamesFor, TopicNameError, type TopicNames } from './names';
