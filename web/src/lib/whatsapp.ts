/**
 * WhatsApp's text formatting, as its apps render it: *bold*, _italic_, ~strike~
 * and ```monospace```. A marker opens only at the start of the text or after a
 * space or punctuation, with no space right after it, and closes before a space,
 * punctuation or the end, with no space right before it; bold, italic and strike
 * stay on one line and may nest; monospace is literal and may span lines.
 */
export type Styled = string | { style: Style; children: Styled[] };
export type Style = "bold" | "italic" | "strike" | "mono";

const MARKERS: Record<string, Style> = { "*": "bold", _: "italic", "~": "strike" };

/** Characters a marker may sit next to on its outer side. */
const BOUNDARY = /[\s.,;:!?()[\]{}"'«»“”‘’¡¿\-/*_~]/u;

function opensAt(text: string, i: number, width: number): boolean {
  const before = i === 0 ? "" : text[i - 1]!;
  const after = text[i + width];
  return (before === "" || BOUNDARY.test(before)) && after !== undefined && !/\s/.test(after);
}

function closesAt(text: string, i: number, width: number): boolean {
  const before = text[i - 1];
  const after = i + width >= text.length ? "" : text[i + width]!;
  return before !== undefined && !/\s/.test(before) && (after === "" || BOUNDARY.test(after));
}

/** Where the marker opened at `start` closes, or -1. */
function findClose(text: string, start: number, marker: string): number {
  const multiline = marker === "```";
  for (let j = start + marker.length + 1; j <= text.length - marker.length; j++) {
    if (!multiline && text[j] === "\n") return -1;
    if (text.startsWith(marker, j) && closesAt(text, j, marker.length)) return j;
  }
  return -1;
}

export function parseWhatsApp(text: string): Styled[] {
  const out: Styled[] = [];
  let plain = "";
  let i = 0;
  const flush = () => {
    if (plain) out.push(plain);
    plain = "";
  };
  while (i < text.length) {
    if (text.startsWith("```", i) && opensAt(text, i, 3)) {
      const end = findClose(text, i, "```");
      if (end > i + 3) {
        flush();
        out.push({ style: "mono", children: [text.slice(i + 3, end)] });
        i = end + 3;
        continue;
      }
    }
    const style = MARKERS[text[i]!];
    if (style && opensAt(text, i, 1)) {
      const end = findClose(text, i, text[i]!);
      if (end > i + 1) {
        flush();
        out.push({ style, children: parseWhatsApp(text.slice(i + 1, end)) });
        i = end + 1;
        continue;
      }
    }
    plain += text[i];
    i++;
  }
  flush();
  return out;
}

/** The text without its markers, as a reader sees it (handy for tests and counts). */
export function plainText(nodes: Styled[]): string {
  return nodes.map((n) => (typeof n === "string" ? n : plainText(n.children))).join("");
}
