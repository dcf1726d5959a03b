/** The API families beyond session/account/applications/settings. */
import type { Router } from '../http.js';
import type { Ctx } from '../context.js';

export function registerExtra(_r: Router, _ctx: Ctx): void {}
