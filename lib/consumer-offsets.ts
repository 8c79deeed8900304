/**
 * Where a consumer stands in each partition, kept in the sink's own SQLite file and written in the
 * same transaction as the batch it follows. Kafka's committed offsets say what was fetched; these
 * say what is stored. They differ when the file is lost or restored from an older copy: then
 * `alignGroupWithStore` (lib/batch-consumer.ts) moves the group back before it consumes, so that no
 * event is skipped. Any pipeline's store can keep one (it knows nothing of the events).
 */
import type { Statement } from "better-sqlite3";
import type { Db } from "./sqlite";

/** The next offset to consume in one partition, once a batch up to it is stored. */
export interface ConsumerPosition {
  topic: string;
  partition: number;
  nextOffset: number;
}

/** What a store that keeps consumer positions offers the consumer at start-up. */
export interface OffsetStore {
  /**
   * False for a file that holds events but did not keep positions (made before they were kept):
   * its positions are unknown, and the group's are adopted instead of acted on.
   */
  readonly tracksOffsets: boolean;
  /** Next offset to consume by partition, for the partitions this file stored a batch of. */
  storedOffsets(topic: string): Map<number, number>;
  /** Takes these positions as its own (a file that did not keep them yet). */
  adoptOffsets(topic: string, offsets: Map<number, number>): void;
}

export class ConsumerOffsets implements OffsetStore {
  readonly tracksOffsets: boolean;
  private readonly upsert: Statement<[string, number, number]>;
  private readonly byTopic: Statement<[string]>;

  /** `hasData`: whether the file already holds events (to tell an old file from a new one). */
  constructor(
    private readonly db: Db,
    hasData: boolean,
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS consumer_offsets (
      topic TEXT NOT NULL,
      partition INTEGER NOT NULL,
      next_offset INTEGER NOT NULL,
      PRIMARY KEY (topic, partition)
    )`);
    // Events are only stored with their batch's position, so events without any position come
    // from before positions were kept (the table may exist already: opened by a tool, or by a
    // start that failed before it adopted the group's).
    this.tracksOffsets =
      !hasData || db.prepare("SELECT 1 FROM consumer_offsets LIMIT 1").get() !== undefined;
    this.upsert = db.prepare(
      `INSERT INTO consumer_offsets (topic, partition, next_offset) VALUES (?, ?, ?)
       ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset`,
    );
    this.byTopic = db.prepare(
      "SELECT partition, next_offset FROM consumer_offsets WHERE topic = ?",
    );
  }

  /** Records a position; call it inside the transaction that stores the batch. */
  save(p: ConsumerPosition): void {
    this.upsert.run(p.topic, p.partition, p.nextOffset);
  }

  storedOffsets(topic: string): Map<number, number> {
    const rows = this.byTopic.all(topic) as { partition: number; next_offset: number }[];
    return new Map(rows.map(r => [r.partition, r.next_offset]));
  }

  adoptOffsets(topic: string, offsets: Map<number, number>): void {
    this.db.transaction(() => {
      for (const [partition, nextOffset] of offsets) this.save({ topic, partition, nextOffset });
    })();
  }
}
