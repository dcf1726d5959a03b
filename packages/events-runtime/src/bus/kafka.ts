/**
 * The Kafka EventBus (`spec.kafka`: an external Kafka cluster). EventSources produce each CloudEvent as
 * JSON to `topic` (status.config; `<namespace>-<bus>` by default), keyed `<eventSourceName>.<eventName>`
 * (one key per event keeps its order on a partition) with the CloudEvent attributes as `ce_*` headers.
 * A Sensor is one consumer group (`consumerGroup.groupName`, default `<namespace>-<sensor>` as upstream),
 * `consumerGroup.startOldest` reads the topic from its beginning the first time; a message's offset is
 * committed once every dependency it matched acknowledged it (atLeastOnce triggers ack after success), or
 * after 30 s. The topic is created when missing (partitions 1; the cluster's replication default).
 */
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { kafkaClient, kafkaCause, type SecretReader } from '../kafka.js';
import type { CloudEvent, Logger } from '../config.js';
import type { Bus, BusHandler, BusSubscription } from './index.js';

export interface KafkaBusConfig {
  url?: string;
  topic?: string;
  version?: string;
  tls?: any;
  sasl?: any;
  consumerGroup?: { groupName?: string; rebalanceStrategy?: string; startOldest?: boolean };
}

const ACK_WAIT_MS = 30_000;

export class KafkaBus implements Bus {
  readonly kind = 'kafka' as const;
  private consumer?: Consumer;
  private closed = false;
  private constructor(
    private readonly kafka: Kafka,
    private readonly producer: Producer,
    private readonly cfg: KafkaBusConfig,
    private readonly topic: string,
    private readonly namespace: string,
    private readonly log: Logger,
  ) {}

  /** Connects a producer (which fetches the cluster's metadata) and makes sure the topic exists. */
  static async connect(cfg: KafkaBusConfig, o: { name: string; namespace: string; log: Logger; secret: SecretReader }): Promise<KafkaBus> {
    const topic = String(cfg.topic || `${o.namespace}-default`);
    const kafka = await kafkaClient(cfg, o.name, o.secret, o.log);
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    try {
      await producer.connect();
      const admin = kafka.admin();
      await admin.connect();
      try {
        const topics = await admin.listTopics();
        if (!topics.includes(topic)) await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true }).catch((e) => o.log('warn', `kafka: creating topic ${topic}: ${kafkaCause(e)} (producing creates it where the cluster allows)`));
      } finally {
        await admin.disconnect().catch(() => {});
      }
    } catch (e) {
      await producer.disconnect().catch(() => {});
      throw e;
    }
    return new KafkaBus(kafka, producer, cfg, topic, o.namespace, o.log);
  }

  get connected() {
    return !this.closed;
  }

  async publish(ev: CloudEvent): Promise<void> {
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: [{ key: `${ev.source}.${ev.subject}`, value: JSON.stringify(ev), headers: { ce_id: ev.id, ce_source: ev.source, ce_type: ev.type, ce_subject: ev.subject, ce_specversion: ev.specversion, ce_time: ev.time } }],
    });
  }

  async subscribe(prefix: string, subs: BusSubscription[], handler: BusHandler): Promise<void> {
    const groupId = this.cfg.consumerGroup?.groupName || `${this.namespace}-${prefix}`;
    const consumer = this.kafka.consumer({ groupId, retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 30_000 } });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: !!this.cfg.consumerGroup?.startOldest });
    consumer.on(consumer.events.CRASH, (e) => this.log('warn', `kafka bus: consumer ${groupId} crashed (${kafkaCause(e.payload.error)}), ${e.payload.restart ? 'restarting' : 'stopped'}`));
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        let ev: CloudEvent;
        try {
          ev = JSON.parse(message.value?.toString('utf8') ?? '') as CloudEvent;
        } catch (e) {
          this.log('warn', `dropping a message at ${this.topic}/${partition}@${message.offset} that is not a JSON CloudEvent: ${(e as Error).message}`);
          return;
        }
        const deps = subs.filter((s) => s.eventSourceName === ev.source && s.eventName === ev.subject);
        if (!deps.length) return;
        let left = deps.length;
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            this.log('warn', `event ${ev.id}: not acknowledged within ${ACK_WAIT_MS} ms; committing its offset`);
            resolve();
          }, ACK_WAIT_MS);
          for (const d of deps) {
            let done = false;
            handler(d.name, ev, () => {
              if (done) return;
              done = true;
              if (--left === 0) resolve();
            });
          }
        });
        clearTimeout(timer);
      },
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.consumer?.disconnect().catch(() => {});
    await this.producer.disconnect().catch(() => {});
  }
}
