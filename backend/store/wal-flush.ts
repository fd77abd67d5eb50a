// With --sync normal, SQLite syncs the WAL only when a checkpoint starts: the commits since the
// last checkpoint (up to 16 MB) all at once, on the event loop, inside the commit that triggered it.
// That sync was two thirds of a checkpoint's ~18 ms stall in bench:ingest. Flushing the WAL from
// libuv's thread pool shortly after commits leaves the checkpoint only the last few milliseconds'
// frames to sync. Nothing waits on these flushes: they change when data reaches the disk, not
// what an acknowledgement promises.
import { close, fdatasync, open } from 'node:fs';

/** How soon after a commit its WAL frames are flushed. */
export const WAL_FLUSH_DELAY_MS = 50;

export class WalFlusher {
  private fd: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** A flush (or the open before the first) is on the thread pool. */
  private busy = false;
  /** A commit came while busy: flush again when done. */
  private again = false;
  private closed = false;

  /** Waiting for the end of the next flush (nextFlush). */
  private waiters: ((err: NodeJS.ErrnoException | null) => void)[] = [];

  constructor(
    private readonly walPath: string,
    private readonly delayMs = WAL_FLUSH_DELAY_MS,
  ) {}

  /**
   * Resolves when the next flush has finished, or rejects with its error. Nothing else needs to
   * know: a failed flush leaves the frames to SQLite's own sync at the checkpoint, which reports.
   */
  nextFlush(): Promise<void> {
    return new Promise((resolve, reject) => this.waiters.push((err) => (err ? reject(err) : resolve())));
  }

  /** A transaction committed on this file: its frames get flushed within delayMs. */
  noteCommit(): void {
    if (this.closed) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.delayMs);
    // An idle backend has nothing to flush, and a pending flush must not keep a process alive.
    this.timer.unref();
  }

  private flush(): void {
    this.busy = true;
    const done = (err: NodeJS.ErrnoException | null) => {
      this.busy = false;
      for (const tell of this.waiters.splice(0)) tell(err);
      if (this.closed) this.release();
      else if (this.again) {
        this.again = false;
        this.noteCommit();
      }
    };
    if (this.fd !== undefined) return fdatasync(this.fd, done);
    // Opened on first use: the WAL file exists once something was written. Read-only is enough to flush it.
    open(this.walPath, 'r', (err, fd) => {
      if (err) return done(err);
      this.fd = fd;
      if (this.closed) return done(null);
      fdatasync(fd, done);
    });
  }

  private release(): void {
    if (this.fd === undefined) return;
    close(this.fd, () => {});
    this.fd = undefined;
  }

  /** Before the database closes: no more flushes; the file is let go once one in flight ends. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.busy) this.release();
  }
}
