/**
 * Idle polling, as Seastar's reactor does (its --idle-poll-time-us): once the last
 * request in flight has been answered, the event loop keeps turning (setImmediate, so
 * each turn polls the sockets without blocking) for up to a budget of microseconds
 * before it may sleep in epoll_wait again.
 *
 * Why: a lone client's next request usually comes a fraction of a millisecond after its
 * answer. Sleeping for that gap costs more than the gap: on a virtual machine a halted
 * vCPU is a VM exit (this machine's cpuidle driver, haltpoll, polls for 0 ns before it
 * halts), the wake-up goes through the host, and the request then runs on a cold core.
 * Measured with the bench (two suites each, 1 client, warmed up): durable 4 KiB appends
 * 1,777 and 1,688 -> 1,939 and 1,906 ops/s, 4 KiB puts 1,454 and 1,642 -> 1,778 and
 * 1,698, 4 KiB GETs 4,933 and 5,073 -> 6,440 and 6,685; about 0.06 ms more server CPU
 * per request. A budget of 200 µs (Seastar's default) often ran out just before the
 * next request came; 1,000 µs was no better than 500. With more than one request in
 * flight the server is seldom idle and this does not run.
 *
 * The cost is bounded: at most the budget of one core per idle period (0 turns it off,
 * --idle-poll-us), and nothing at all while no requests come.
 */
export class IdlePoll {
  private until = 0;
  private polling = false;

  /**
   * @param budgetUs how long to keep polling after going idle, in microseconds
   * @param busy whether a request is in flight (then polling stops: the request runs)
   */
  constructor(
    private readonly budgetUs: number,
    private readonly busy: () => boolean,
  ) {}

  /** The server has just answered its last request in flight. */
  idle(): void {
    if (this.budgetUs <= 0) return;
    this.until = performance.now() + this.budgetUs / 1000;
    if (this.polling) return;
    this.polling = true;
    setImmediate(this.turn);
  }

  /** Whether the loop is being kept turning (for tests). */
  get active(): boolean {
    return this.polling;
  }

  private readonly turn = (): void => {
    if (!this.busy() && performance.now() < this.until) setImmediate(this.turn);
    else this.polling = false;
  };
}
