// `fleetmon-backend notify test`: one message to one receiver, outside the outbox, to check a
// receiver's settings before a real problem depends on them.
import type { NotifyConfig } from './config.js';
import { testNotice } from './notice.js';
import { RECEIVER_KINDS } from './receivers/index.js';
import { NotifyFileError } from './settings.js';

export async function sendTestMessage(config: NotifyConfig, receiverName: string, now: number): Promise<void> {
  const receiver = config.receivers.get(receiverName);
  if (!receiver) {
    throw new NotifyFileError(`${config.source ?? 'the notifications file'} has no receiver '${receiverName}'; its receivers are ${[...config.receivers.keys()].join(', ') || '(none)'}`);
  }
  await RECEIVER_KINDS[receiver.kind].send(receiver.settings, [testNotice(receiverName, now)], { externalUrl: config.externalUrl });
}
