// GET /devices, GET /devices/:id, DELETE /devices/:id.
import type Router from '@koa/router';
import type { AppDeps } from '../app.js';
import { deviceSummary } from '../devices/summary.js';
import { RequestError } from '../errors.js';
import { sampleView } from '../samples/view.js';
import { devicesWithLatest } from '../store/devices.js';
import { forgetDevice } from '../devices/forget.js';
import { readStoredPayload } from '../store/samples.js';

export const noSuchDevice = (id: string) =>
  new RequestError(404, `no device '${id}': it has never reported, or was deleted; GET /devices lists the known ones`);

export function registerDeviceRoutes(router: Router, deps: AppDeps): void {
  router.get('/devices', async (ctx) => {
    const now = deps.now();
    ctx.body = (await devicesWithLatest(deps.db)).map((d) => deviceSummary(d, deps.rules.forDevice(d.id), now));
  });

  router.get('/devices/:id', async (ctx) => {
    const id = ctx.params.id!;
    const [device] = await devicesWithLatest(deps.db, id);
    if (!device) throw noSuchDevice(id);
    ctx.body = {
      ...deviceSummary(device, deps.rules.forDevice(id), deps.now()),
      latest_sample:
        device.latest_payload === null || device.latest_timestamp === null ? null : sampleView(readStoredPayload(device.latest_payload), device.latest_timestamp),
    };
  });

  // Forgets the device and what is open for it; its samples, alerts and rollups stay as history.
  router.delete('/devices/:id', async (ctx) => {
    const id = ctx.params.id!;
    const deleted = await forgetDevice(deps.db, id, deps.write, deps.forgetCachedDevice);
    if (!deleted) throw noSuchDevice(id);
    ctx.body = { ok: true, deleted: id };
  });
}
