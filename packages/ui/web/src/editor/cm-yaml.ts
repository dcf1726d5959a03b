/**
 * The YAML editor: CodeMirror 6 with its YAML language (highlighting while typing, as issue 15 asks),
 * line numbers, undo history and the default keys. Loaded on demand (its own chunk) by `YamlEditor`;
 * the colours are CSS classes (`tok-*`) styled by the theme's variables in styles.css. Tab is left to
 * move the focus (no indentWithTab), so the editor is no keyboard trap.
 */
import { EditorState } from '@codemirror/state';
import { EditorView, keymap, lineNumbers, highlightActiveLine } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { syntaxHighlighting, indentOnInput, bracketMatching } from '@codemirror/language';
import { yaml } from '@codemirror/lang-yaml';
import { classHighlighter } from '@lezer/highlight';

export interface YamlEditorHandle {
  /** replaces the text (when it changed outside the editor) */
  setText(text: string): void;
  destroy(): void;
}

export function createYamlEditor(parent: HTMLElement, o: { text: string; label: string; onChange: (text: string) => void }): YamlEditorHandle {
  // a text set from outside (setText) is not reported back as a change: the caller has it already
  let external = false;
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: o.text,
      extensions: [
        lineNumbers(),
        highlightActiveLine(),
        history(),
        indentOnInput(),
        bracketMatching(),
        keymap.of([...defaultKeymap, ...historyKeymap]),
        yaml(),
        syntaxHighlighting(classHighlighter),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ 'aria-label': o.label, 'aria-multiline': 'true', spellcheck: 'false' }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged && !external) o.onChange(u.state.doc.toString());
        }),
      ],
    }),
  });
  return {
    setText(text) {
      const cur = view.state.doc.toString();
      if (cur === text) return;
      external = true;
      try {
        view.dispatch({ changes: { from: 0, to: cur.length, insert: text } });
      } finally {
        external = false;
      }
    },
    destroy: () => view.destroy(),
  };
}
