import { useEffect, useState } from "react";
import { Link } from "react-router";
import { ApiError } from "../../api/errors";
import { useComposerForecast, type Forecast, type ForecastRequest, type Limit, type Suggestion } from "../../api/planningApi";
import { Alert, Button, Spinner } from "../../components/ui";
import { formatCount, formatDayTime } from "../../lib/format";
import { LIMIT_WORDS, dayLabel, durationWords, forecastWords, mainLimit } from "../../lib/forecastWords";
import { tr, trPlural } from "../../i18n";

const BAR_COLOURS: Record<Limit | "done", string> = {
  gaps: "bg-brand-600",
  daily_cap: "bg-sky-600",
  warmup: "bg-amber-500",
  quiet_hours: "bg-indigo-500",
  done: "bg-emerald-600",
};

const MAX_BARS = 42;

/** A small chart of messages per day, coloured by what limits that day. */
export function ForecastBars({ forecast, now }: { forecast: Forecast; now: number }) {
  const days = forecast.days.slice(0, MAX_BARS);
  if (days.length === 0) return null;
  const top = Math.max(...days.map((d) => d.total), 1);
  return (
    <div>
      <ul className="flex h-20 items-end gap-0.5" aria-label={tr("forecast.perDay")}>
        {days.map((d) => {
          const limit = d.numbers.find((n) => n.limit)?.limit ?? "done";
          const label = `${dayLabel(d.date, now, forecast.timezone)}: ${formatCount(d.total)}${limit !== "done" ? ` (${tr("forecast.heldBy", { limit: LIMIT_WORDS[limit] })})` : ""}`;
          return (
            <li key={d.date} className="flex h-full min-w-1 flex-1 items-end" title={label} aria-label={label}>
              <span className={`block w-full rounded-t-sm ${BAR_COLOURS[limit]}`} style={{ height: `${Math.max(4, (d.total / top) * 100)}%` }} />
            </li>
          );
        })}
      </ul>
      <div className="mt-1 flex justify-between text-xs text-slate-600">
        <span>{dayLabel(days[0]!.date, now, forecast.timezone)}</span>
        {forecast.days.length > MAX_BARS ? <span>{tr("forecast.moreDays", { count: formatCount(forecast.days.length - MAX_BARS) })}</span> : days.length > 1 && <span>{dayLabel(days.at(-1)!.date, now, forecast.timezone)}</span>}
      </div>
    </div>
  );
}

/** The deadline check: met, or late by how much and what would meet it. */
function DeadlineAdvice({ forecast, onApply }: { forecast: Forecast; onApply?: ((change: Suggestion["change"]) => void) | undefined }) {
  const check = forecast.deadline;
  if (!check) return null;
  if (check.met)
    return (
      <Alert tone="success">
        {tr("forecast.deadlineMet", { when: formatDayTime(check.deadline, forecast.timezone) })}
      </Alert>
    );
  return (
    <Alert tone="warning" title={tr("forecast.deadlineMissed", { when: formatDayTime(check.deadline, forecast.timezone), late: durationWords(check.late_by_s) })}>
      {check.suggestions.length === 0 ? (
        <p>{tr("forecast.noSuggestion")}</p>
      ) : (
        <ul className="mt-1 flex flex-col gap-2" aria-label={tr("forecast.ways")}>
          {check.suggestions.map((s) => (
            <li key={s.kind} className="rounded border border-amber-200 bg-white p-2 text-slate-800">
              <p>
                {s.message} {s.finish_at && <>{tr(s.meets_deadline ? "forecast.finishesInTime" : "forecast.finishesLate", { when: formatDayTime(s.finish_at, forecast.timezone) })}</>}
              </p>
              {s.risk && <p className="text-xs text-amber-900">{tr("forecast.risk", { risk: s.risk })}</p>}
              {s.kind === "more_numbers" ? (
                <Link to="/sessions" className="text-sm font-medium text-brand-700 underline">
                  {tr("forecast.addNumber")}
                </Link>
              ) : (
                onApply && (
                  <Button size="sm" variant="secondary" className="mt-1" onClick={() => onApply(s.change)}>
                    {tr("forecast.useThis")}
                  </Button>
                )
              )}
            </li>
          ))}
        </ul>
      )}
    </Alert>
  );
}

/** The forecast in words, as a chart, and the deadline check. */
export function ForecastView({ forecast, now, onApply, launched = false }: { forecast: Forecast; now: number; onApply?: (change: Suggestion["change"]) => void; launched?: boolean }) {
  const limit = mainLimit(forecast.days);
  return (
    <div className="flex flex-col gap-2">
      <p className="text-sm text-slate-900" data-testid="forecast-words">
        {forecastWords(forecast, now, launched)}
      </p>
      {limit && limit !== "gaps" && (
        <p className="text-xs text-slate-600">
          {tr(limit === "warmup" ? "forecast.mostDaysWarmup" : "forecast.mostDays", { limit: LIMIT_WORDS[limit] })}
        </p>
      )}
      <ForecastBars forecast={forecast} now={now} />
      <DeadlineAdvice forecast={forecast} onApply={onApply} />
    </div>
  );
}

function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  const key = JSON.stringify(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, ms]);
  return settled;
}

function audienceNotes(a: { opted_out: number; missing_variables: number }): string {
  const notes = [a.opted_out > 0 && tr("audience.optedOut", { count: formatCount(a.opted_out) }), a.missing_variables > 0 && tr("audience.missing", { count: formatCount(a.missing_variables) })].filter(Boolean);
  return notes.length ? ` (${notes.join(", ")})` : "";
}

/** The composer's live forecast: recomputed as the pace, numbers or audience change. */
export function ComposerForecast({ request, onApply }: { request: ForecastRequest; onApply: (change: Suggestion["change"]) => void }) {
  const settled = useDebounced(request, 500);
  const noAudience = Boolean(settled.audience && !settled.audience.all && (settled.audience.tags ?? []).length === 0);
  const forecast = useComposerForecast(settled.session_ids.length > 0 && !noAudience ? settled : null);
  if (noAudience) return <p className="text-sm text-slate-600">{tr("forecast.chooseAudience")}</p>;
  if (settled.session_ids.length === 0) return <p className="text-sm text-slate-600">{tr("forecast.chooseNumber")}</p>;
  if (forecast.isError) {
    // A backend without the forecast says nothing rather than an error about it.
    if (forecast.error instanceof ApiError && forecast.error.status === 404) return null;
    if (forecast.error instanceof ApiError && forecast.error.status === 422) return <p className="text-sm text-slate-600">{tr("forecast.fixValues")}</p>;
    return <p className="text-sm text-slate-600">{tr("forecast.unavailable")}</p>;
  }
  if (!forecast.data) return <Spinner small label={tr("forecast.working")} />;
  const { forecast: f, audience } = forecast.data;
  return (
    <div className="flex flex-col gap-2" aria-live="polite" aria-busy={forecast.isFetching}>
      {audience ? (
        <p className="text-sm text-slate-700" data-testid="forecast-audience">
          {trPlural(audience.exact ? "forecast.recipients" : "forecast.aboutRecipients", audience.recipients)}
          {audienceNotes(audience)}
          {f.numbers.length > 1 ? ` ${tr("forecast.overNumbers", { count: f.numbers.length })}.` : "."}
        </p>
      ) : (
        <p className="text-sm text-slate-700" data-testid="forecast-audience">
          {trPlural("forecast.stillToSend", f.recipients)}
          {f.numbers.length > 1 ? ` ${tr("forecast.overNumbers", { count: f.numbers.length })}` : ""}.
        </p>
      )}
      <ForecastView forecast={f} now={Date.now()} onApply={onApply} launched={!audience} />
    </div>
  );
}
