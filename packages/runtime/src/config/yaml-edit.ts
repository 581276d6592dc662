/**
 * Minimal edits of a YAML text: each edit replaces, inserts or removes only the text of the one node it
 * changes (located with the `yaml` library's Document API and its source ranges), so every other byte —
 * comments, one-line maps, alignment, quoting — stays as the person wrote it. An edit the text splice
 * cannot express faithfully (checked by re-parsing) falls back to the Document API for that edit alone.
 */
import { isMap, isScalar, parseDocument, stringify } from "yaml";

export type YamlEdit = { readonly path: readonly string[]; readonly value: unknown } | { readonly path: readonly string[]; readonly remove: true };

/** A value as one line of flow YAML, in the `{ a: b, c: [d, e] }` style of the configuration examples. */
export function flowText(value: unknown): string {
  const s = stringify(value, { collectionStyle: "flow", lineWidth: 0, flowCollectionPadding: false }).trimEnd();
  return s.replace(/\{(?=\S)/g, "{ ").replace(/(?<=\S)\}/g, " }");
}

const lineEnd = (text: string, pos: number) => {
  const nl = text.indexOf("\n", pos);
  return nl === -1 ? text.length : nl + 1;
};
const lineStart = (text: string, pos: number) => text.lastIndexOf("\n", pos - 1) + 1;

function splice(text: string, edit: YamlEdit): string | undefined {
  const doc = parseDocument(text);
  const parentPath = edit.path.slice(0, -1);
  const key = edit.path[edit.path.length - 1] as string;
  const parent = parentPath.length ? doc.getIn(parentPath, true) : doc.contents;
  if ("remove" in edit) {
    if (!isMap(parent) || parent.flow) return undefined;
    const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
    const k = pair && isScalar(pair.key) ? pair.key.range : undefined;
    const v = (pair?.value as { range?: [number, number, number] } | null)?.range;
    if (!k) return text;
    return text.slice(0, lineStart(text, k[0])) + text.slice(lineEnd(text, (v ?? k)[1]));
  }
  const node = doc.getIn(edit.path, true) as { range?: [number, number, number] } | undefined;
  if (node?.range) return text.slice(0, node.range[0]) + flowText(edit.value) + text.slice(node.range[1]);
  if (parent === undefined || parent === null) {
    if (parentPath.length !== 1) return undefined;
    const sep = text.endsWith("\n") || text === "" ? "" : "\n";
    return `${text}${sep}${parentPath[0]}:\n  ${key}: ${flowText(edit.value)}\n`;
  }
  if (!isMap(parent) || parent.flow || !parent.items.length) return undefined;
  const first = parent.items[0]?.key as { range?: [number, number, number] } | undefined;
  const last = parent.items[parent.items.length - 1];
  const lastEnd =
    (last?.value as { range?: [number, number, number] } | null)?.range?.[1] ?? (last?.key as { range?: [number, number, number] } | undefined)?.range?.[1];
  if (!first?.range || lastEnd === undefined) return undefined;
  const indent = " ".repeat(first.range[0] - lineStart(text, first.range[0]));
  const at = lineEnd(text, lastEnd);
  const sep = at === text.length && !text.endsWith("\n") ? "\n" : "";
  return `${text.slice(0, at)}${sep}${indent}${key}: ${flowText(edit.value)}\n${text.slice(at)}`;
}

function applied(text: string, edit: YamlEdit): boolean {
  const got = parseDocument(text).getIn(edit.path);
  const want = "remove" in edit ? undefined : edit.value;
  return JSON.stringify(got && typeof got === "object" && "toJSON" in got ? (got as { toJSON(): unknown }).toJSON() : got) === JSON.stringify(want);
}

export function editYaml(text: string, edits: readonly YamlEdit[]): string {
  let out = text;
  for (const edit of edits) {
    const next = splice(out, edit);
    if (next !== undefined && applied(next, edit)) {
      out = next;
      continue;
    }
    const doc = parseDocument(out);
    if ("remove" in edit) doc.deleteIn(edit.path);
    else doc.setIn(edit.path, doc.createNode(edit.value, { flow: true }));
    out = doc.toString({ lineWidth: 0 });
  }
  return out;
}
