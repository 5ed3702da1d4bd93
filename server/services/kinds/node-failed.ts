/** A server node that cannot start (a timer's time that is no time): the gate fails it with this message. */
export class NodeFailed extends Error {
  override readonly name = 'NodeFailed';
}
