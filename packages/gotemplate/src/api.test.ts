// API-level tests: template sets, include/tpl hooks, options, delimiters, caching, performance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TemplateSet, parse, makeIncludeFunc, makeTplFunc, goFunc, ExecError, ParseError, SPRIG_NOT_IMPLEMENTED, sprigFuncs, clearParseCache } from './index.js';

test('named templates, lookup and templateNames', () => {
  const set = new TemplateSet();
  set.parse('main', '{{ define "a" }}A{{ end }}{{ define "b" }}B{{ end }}{{ template "a" }}{{ template "b" }}');
  assert.equal(set.execute('main', {}), 'AB');
  assert.deepEqual(set.templateNames(), ['a', 'b', 'main']);
  assert.ok(set.lookup('a'));
  assert.equal(set.lookup('zzz'), undefined);
  assert.equal(set.lookup('a')!.execute(), 'A');
});

test('later parse replaces a definition; an empty body does not', () => {
  const set = new TemplateSet();
  set.parse('f1', '{{ define "x" }}one{{ end }}');
  set.parse('f2', '{{ define "x" }}two{{ end }}');
  assert.equal(set.execute('x'), 'two');
  set.parse('x', '   ');
  assert.equal(set.execute('x'), 'two');
});

test('execute unknown template', () => {
  const set = new TemplateSet();
  set.parse('a', 'x');
  assert.throws(() => set.execute('nope'), /no template "nope" associated/);
});

test('parse() convenience returns a Template', () => {
  const t = parse('hello', 'Hello {{ .name }}!');
  assert.equal(t.execute({ name: 'World' }), 'Hello World!');
  assert.equal(t.name, 'hello');
});

test('funcs add and override functions (plain JS and typed)', () => {
  const set = new TemplateSet();
  set.funcs({ double: (x: unknown) => String(x) + String(x), upper: goFunc(['string'], null, (s: string) => `U(${s})`) });
  set.parse('t', '{{ double "ab" }} {{ upper "x" }}');
  assert.equal(set.execute('t'), 'abab U(x)');
});

test('funcs must be defined before parse', () => {
  const set = new TemplateSet();
  assert.throws(() => set.parse('t', 'line1\n{{ later 1 }}'), (e: unknown) => e instanceof ParseError && e.message === 'template: t:2: function "later" not defined');
  set.funcs({ later: () => 'ok' });
  set.parse('t', 'line1\n{{ later 1 }}');
  assert.equal(set.execute('t'), 'line1\nok');
});

test('user functions can override builtins', () => {
  const set = new TemplateSet({ sprig: false, funcs: { len: () => 'mine' } });
  set.parse('t', '{{ len "abc" }}');
  assert.equal(set.execute('t'), 'mine');
});

test('sprig can be disabled; removeFuncs', () => {
  assert.throws(() => new TemplateSet({ sprig: false }).parse('t', '{{ upper "a" }}'), /function "upper" not defined/);
  const set = new TemplateSet().removeFuncs('env', 'expandenv');
  assert.throws(() => set.parse('t', '{{ env "HOME" }}'), /function "env" not defined/);
});

test('option missingkey', () => {
  const set = new TemplateSet();
  set.parse('t', '{{ .a }}');
  assert.equal(set.execute('t', {}), '<no value>');
  set.option('missingkey=error');
  assert.throws(() => set.execute('t', {}), /map has no entry for key "a"/);
  set.option('missingkey=zero');
  assert.equal(set.execute('t', {}), '<no value>');
  assert.throws(() => set.option('missingkey=bogus'), /unrecognized option/);
});

test('custom delimiters', () => {
  const set = new TemplateSet().delims('[[', ']]');
  set.parse('t', '[[ .a ]] {{ .a }} [[- " x" -]] !');
  assert.equal(set.execute('t', { a: 1 }), '1 {{ .a }} x!');
  const set2 = new TemplateSet({ delims: ['<%', '%>'] });
  set2.parse('t', '<% if .x %>yes<% end %>');
  assert.equal(set2.execute('t', { x: true }), 'yes');
});

test('include via makeIncludeFunc', () => {
  const set = new TemplateSet();
  set.funcs({ include: makeIncludeFunc(set) });
  set.parse('_helpers.tpl', '{{- define "chart.name" -}}{{ .Chart.Name | trunc 63 | trimSuffix "-" }}{{- end -}}\n{{- define "labels" -}}\napp: {{ include "chart.name" . }}\nversion: {{ .Chart.Version | quote }}\n{{- end -}}');
  set.parse('deploy.yaml', 'metadata:\n  labels:\n    {{- include "labels" . | nindent 4 }}\n');
  const out = set.execute('deploy.yaml', { Chart: { Name: 'demo', Version: '1.0.0' } });
  assert.equal(out, 'metadata:\n  labels:\n    app: demo\n    version: "1.0.0"\n');
});

test('include errors wrap the inner error with its location', () => {
  const set = new TemplateSet();
  set.funcs({ include: makeIncludeFunc(set) });
  set.parse('h.tpl', '{{ define "bad" }}\n{{ .x.y }}{{ end }}');
  set.parse('main', '{{ include "bad" . }}');
  assert.throws(
    () => set.execute('main', { x: null }),
    (e: unknown) =>
      e instanceof ExecError &&
      e.message === 'template: main:1:3: executing "main" at <include "bad" .>: error calling include: template: h.tpl:2:5: executing "bad" at <.x.y>: nil pointer evaluating interface {}.y',
  );
  set.parse('main2', '{{ include "missing" . }}');
  assert.throws(() => set.execute('main2', {}), /error calling include: template: no template "missing"/);
});

test('include recursion is bounded', () => {
  const set = new TemplateSet({ maxDepth: 50 });
  set.funcs({ include: makeIncludeFunc(set) });
  set.parse('loop', '{{ include "loop" . }}');
  assert.throws(() => set.execute('loop', {}), /exceeded maximum template depth \(50\)/);
});

test('tpl via makeTplFunc sees the set and keeps its defines local', () => {
  const set = new TemplateSet();
  set.funcs({ tpl: makeTplFunc(set), include: makeIncludeFunc(set) });
  set.parse('h', '{{ define "greet" }}hi {{ . }}{{ end }}');
  set.parse('main', '{{ tpl .Values.t . }}|{{ tpl "{{ include \\"greet\\" .Values.who }}" . }}');
  assert.equal(set.execute('main', { Values: { t: '{{ .Values.who | upper }}', who: 'bob' } }), 'BOB|hi bob');
  set.parse('main2', '{{ tpl "{{ define \\"local\\" }}L{{ end }}{{ template \\"local\\" }}" . }}');
  assert.equal(set.execute('main2', {}), 'L');
  assert.equal(set.lookup('local'), undefined);
  set.parse('main3', '{{ tpl "{{ .x.y }}" . }}');
  assert.throws(() => set.execute('main3', { x: null }), /error calling tpl: template: tpl:1:5: executing "tpl" at <.x.y>/);
});

test('renderString and clone', () => {
  const set = new TemplateSet();
  set.parse('a', '{{ define "x" }}X{{ end }}');
  assert.equal(set.renderString('{{ template "x" }}{{ . }}', 1), 'X1');
  const c = set.clone();
  c.parse('b', '{{ define "x" }}Y{{ end }}');
  assert.equal(c.execute('x'), 'Y');
  assert.equal(set.execute('x'), 'X');
});

test('template method calls and JS values', () => {
  class Obj {
    static goType = '*main.Obj';
    Name = 'obj';
    Greet(s: string): string {
      return `hello ${s} from ${this.Name}`;
    }
  }
  assert.throws(() => parse('t', '{{ .o.Nope }}').execute({ o: new Obj() }), /can't evaluate field Nope in type interface \{\}/);
  assert.throws(() => parse('t', '{{ .Nope }}').execute(new Obj()), /can't evaluate field Nope in type \*main.Obj/);
  assert.equal(parse('t', '{{ .o.Name }} {{ .o.Greet "x" }}').execute({ o: new Obj() }), 'obj hello x from obj');
  // only exported members, never Object.prototype
  for (const f of ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'lower']) {
    assert.throws(() => parse('t', `{{ .${f} }}`).execute(Object.assign(new Obj(), { lower: 1 })), /can't evaluate field/, f);
  }
  assert.throws(() => parse('t', '{{ now.sec }}').execute({}), /can't evaluate field sec in type time.Time/);
});

test('parse errors have the Go shape', () => {
  assert.throws(() => parse('my.tpl', 'a\nb\n{{ if .x }}'), (e: unknown) => e instanceof ParseError && e.message === 'template: my.tpl:3: unexpected EOF');
  assert.throws(() => parse('t', '{{ range .x }}{{ else }}{{ else }}{{ end }}'), /expected end; found {{else}}/);
  assert.throws(() => parse('t', '{{ .x \n\n '), (e: unknown) => e instanceof ParseError && e.message === 'template: t:3: unclosed action started at t:1');
});

test('SPRIG_NOT_IMPLEMENTED lists functions absent from the library', () => {
  const f = sprigFuncs();
  for (const n of SPRIG_NOT_IMPLEMENTED) assert.equal(f[n], undefined, n);
  for (const n of ['semverCompare', 'toJson', 'merge', 'regexReplaceAll', 'dateInZone', 'sha256sum', 'uuidv4']) assert.ok(f[n], n);
});

test('a 200 templates x 50 lines chart-like set parses and renders (timed in bench/gotemplate.bench.mjs)', () => {
  const helpers = `{{- define "app.name" -}}{{ default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- define "app.labels" -}}
app.kubernetes.io/name: {{ include "app.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}`;
  const body = (i: number): string => {
    const lines: string[] = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      `  name: {{ include "app.name" . }}-${i}`,
      '  labels:',
      '    {{- include "app.labels" . | nindent 4 }}',
      'spec:',
      '  replicas: {{ .Values.replicaCount }}',
      '  template:',
      '    spec:',
      '      containers:',
    ];
    while (lines.length < 46) {
      lines.push(
        '        - name: {{ .Chart.Name | quote }}',
        '          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"',
        '          {{- if .Values.resources }}',
        '          resources: {{ toJson .Values.resources }}',
        '          {{- end }}',
        '          env:',
        '          {{- range $k, $v := .Values.env }}',
        '            - name: {{ $k | upper }}',
        '              value: {{ $v | quote }}',
        '          {{- end }}',
      );
    }
    lines.push('{{- with .Values.nodeSelector }}', 'nodeSelector:', '  {{- toJson . | nindent 2 }}', '{{- end }}');
    return lines.join('\n');
  };
  const data = {
    Chart: { Name: 'demo', Version: '1.2.3+meta', AppVersion: '2.0' },
    Release: { Name: 'rel' },
    Values: { replicaCount: 3, image: { repository: 'nginx', tag: '' }, resources: { limits: { cpu: '100m' } }, env: { a: '1', b: '2', c: '3' }, nodeSelector: { disk: 'ssd' } },
  };
  const run = (): void => {
    clearParseCache();
    const set = new TemplateSet();
    set.funcs({ include: makeIncludeFunc(set) });
    set.parse('_helpers.tpl', helpers);
    for (let i = 0; i < 200; i++) set.parse(`t${i}.yaml`, body(i));
    let total = 0;
    for (let i = 0; i < 200; i++) total += set.execute(`t${i}.yaml`, data).length;
    assert.ok(total > 200 * 1000);
    assert.match(set.execute('t7.yaml', data), /name: demo-7\n  labels:\n    app.kubernetes.io\/name: demo/);
  };
  run();
});
