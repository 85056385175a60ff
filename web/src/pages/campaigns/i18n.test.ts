import { afterEach, describe, expect, it } from "vitest";
import { setCurrent } from "../../i18n/current";
import { campaignOutcome, formatCount, formatDateTime, timeAgo } from "../../lib/format";
import { CAMPAIGN_STATES, formatDuration, problemMessage, storedLaunchProblem } from "./common";
import { numberStateWords } from "./NumberStates";

afterEach(() => setCurrent("en", "en-US"));

const counts = (sent: number, total: number, status = "running") => ({ status, counters: { total, failed: 0, skipped: 0, cancelled: 0, unknown: 0 }, funnel: { sent } });

describe("campaign words in the account's language", () => {
  it("says states, outcomes, dates and durations in Brazilian Portuguese", () => {
    setCurrent("pt-BR", "pt-BR");
    expect(CAMPAIGN_STATES.running!.label).toBe("Enviando");
    expect(campaignOutcome(counts(20, 1956, "paused"))).toBe("Pausada — 20 de 1.956 enviadas");
    expect(formatCount(1956)).toBe("1.956");
    // 28 Nov 2026, 14:30 in São Paulo.
    expect(formatDateTime(Date.UTC(2026, 10, 28, 17, 30), "America/Sao_Paulo")).toBe("28/11/2026, 14:30");
    expect(formatDuration(3 * 86400)).toBe("cerca de 3 dias");
    expect(timeAgo(Date.now() - 3 * 3600_000)).toBe("há 3 h");
    expect(numberStateWords({ state: "quiet_hours", until: null, detail: null }, "America/Sao_Paulo").text).toBe("Horário de silêncio");
  });

  it("keeps English and its formats for an English account", () => {
    setCurrent("en", "en-US");
    expect(campaignOutcome(counts(20, 1956, "paused"))).toBe("Paused — 20 of 1,956 sent");
    expect(formatDateTime(Date.UTC(2026, 10, 28, 17, 30), "America/Sao_Paulo")).toBe("11/28/2026, 2:30 PM");
  });

  it("says the server's launch problems by code, with the numbers from their details", () => {
    const problem = { code: "missing_variables", message: "1,956 recipient(s) have no value for a variable without a fallback.", details: { count: 1956, affected: [] } };
    expect(problemMessage(problem)).toBe(problem.message);
    setCurrent("es", "es-MX");
    expect(problemMessage(problem)).toBe("1,956 destinatarios no tienen valor para una variable sin valor por defecto.");
    setCurrent("pt-BR", "pt-BR");
    expect(storedLaunchProblem(problem)).toMatchObject({ title: "Faltam dados de alguns destinatários", message: "1.956 destinatários não têm valor para uma variável sem valor padrão." });
    expect(problemMessage({ code: "quota_short", message: "x", details: { requested: 1956, remaining: 100 } })).toBe("Esta campanha precisa de 1.956 mensagens, mas só restam 100 no seu plano neste período.");
    // A code without words of its own keeps the server's sentence.
    expect(problemMessage({ code: "something_new", message: "As the server says." })).toBe("As the server says.");
  });
});
