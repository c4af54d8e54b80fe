import { topicNamesFor, TopicNameError } from '../src';

describe('topic names', () => {
  const names = topicNamesFor('app');

  it('spells every topic under the prefix', () => {
    expect([names.transaction, names.message, names.deadLetter]).toEqual([
      'app.transaction',
      'app.message',
      'app.dead-letter',
    ]);
    expect(names.change('public.todos')).toBe('app.public.todos');
    expect(names.buckets('default.1')).toBe('app.buckets.default.1');
  });

  it.each([
    ['app.public.todos', 'public.todos'],
    ['app.transaction', null],
    ['app.message', null],
    ['app.dead-letter', null],
    ['app.buckets.default.1', null],
    ['other.public.todos', null],
    ['app.todos', null],
    ['apps.public.todos', null],
  ])('reads %s as the change topic of %s', (topic, table) => {
    expect(names.tableOf(topic)).toBe(table);
  });

  it('refuses a bucket topic name Kafka would refuse', () => {
    expect(() => names.buckets('a b')).toThrow(TopicNameError);
    expect(() => topicNamesFor('x'.repeat(240)).buckets('default.1')).toThrow(/at most 249/);
  });
});
