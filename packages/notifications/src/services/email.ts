/** Email over SMTP (nodemailer): host, port, from, username, password, html, insecure_skip_verify; template `email: {subject, body}`. */
import nodemailer from 'nodemailer';
import type { Delivery } from '../engine.js';
import { DeliveryError, str } from './http.js';

export async function sendEmail(cfg: Record<string, unknown>, d: Delivery): Promise<void> {
  const where = `service.email${d.destination.service === 'email' ? '' : '.' + d.destination.service}`;
  if (!cfg.host) throw new DeliveryError(`${where}: host is required`);
  if (!d.destination.recipient) throw new DeliveryError(`${where}: no recipient (subscribe with the address as the annotation's value)`);
  const port = Number(cfg.port ?? 587);
  const e = (d.notification.email ?? {}) as Record<string, unknown>;
  const body = str(e.body) || str(d.notification.message);
  const transport = nodemailer.createTransport({
    host: str(cfg.host),
    port,
    secure: port === 465,
    auth: cfg.username ? { user: str(cfg.username), pass: str(cfg.password) } : undefined,
    tls: { rejectUnauthorized: cfg.insecure_skip_verify !== true },
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
  });
  try {
    await transport.sendMail({
      from: str(cfg.from) || undefined,
      to: d.destination.recipient.split(/[,;]/).map((s) => s.trim()).filter(Boolean),
      subject: str(e.subject),
      ...(cfg.html === true ? { html: body } : { text: body }),
    });
  } catch (err) {
    throw new DeliveryError(`${where}: SMTP ${str(cfg.host)}:${port}: ${(err as Error).message}`);
  } finally {
    transport.close();
  }
}
