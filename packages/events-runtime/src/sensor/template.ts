/** Go templates (with sprig) as upstream renders data filter templates and parameter templates. */
import { TemplateSet } from '@flotilla/gotemplate';

let set: TemplateSet | undefined;
export function renderTemplate(text: string, data: unknown): string {
  return (set ??= new TemplateSet()).renderString(text, data);
}
