import { parseWhatsApp, type Styled } from "../lib/whatsapp";
import { tr } from "../i18n/current";

function render(nodes: Styled[], key = ""): React.ReactNode[] {
  return nodes.map((n, i) => {
    const k = `${key}${i}`;
    if (typeof n === "string") return n;
    const inner = render(n.children, `${k}.`);
    switch (n.style) {
      case "bold":
        return <strong key={k}>{inner}</strong>;
      case "italic":
        return <em key={k}>{inner}</em>;
      case "strike":
        return <s key={k}>{inner}</s>;
      case "mono":
        return (
          <code key={k} className="font-mono text-[0.95em]">
            {inner}
          </code>
        );
    }
  });
}

/** Message text rendered the way WhatsApp shows it (bold, italic, strike, monospace). */
export function WhatsAppText({ text }: { text: string }) {
  return <>{render(parseWhatsApp(text))}</>;
}

/** A chat bubble on a phone-like background, with the image above the caption. */
export function PhoneBubble({ text, image, footer, testId }: { text: string; image?: string | null; footer?: string; testId?: string }) {
  return (
    <div className="rounded-xl bg-[#efeae2] p-3" data-testid={testId}>
      <div className="ml-auto max-w-[85%] overflow-hidden rounded-lg rounded-tr-none bg-[#d9fdd3] text-sm text-slate-900 shadow-sm">
        {image && <img src={image} alt={tr("bubble.image")} className="max-h-56 w-full object-cover" />}
        <p className="whitespace-pre-wrap break-words px-3 py-2">{text ? <WhatsAppText text={text} /> : <span className="text-slate-500">{tr("bubble.empty")}</span>}</p>
        {footer && <p className="px-3 pb-1 text-right text-[11px] text-slate-600">{footer}</p>}
      </div>
    </div>
  );
}
