// Waiting for topics to exist lives in @syncline/kafka-topics; re-exported here because stack
// users (the CLI, the test kit) already import it from this package.
export { waitForTopics } from '@syncline/kafka-topics';
