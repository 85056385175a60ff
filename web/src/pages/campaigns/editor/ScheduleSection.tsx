import { useMemo, type ReactNode } from "react";
import { Alert, SelectField, TextField } from "../../../components/ui";
import { localInput, pacingWarnings, type Draft, type SetDraft } from "./draft";
import { currentLocale, tr } from "../../../i18n";

/** "America/Sao_Paulo (Brasília time)": the zone's id and its name in the user's language. */
export function zoneLabel(timeZone: string): string {
  try {
    const name = new Intl.DateTimeFormat(currentLocale(), { timeZone, timeZoneName: "longGeneric" }).formatToParts(0).find((p) => p.type === "timeZoneName")?.value;
    return name && name !== timeZone ? `${timeZone} (${name})` : timeZone;
  } catch {
    return timeZone;
  }
}

/** Tomorrow at 10:00 in `timeZone`, as the datetime-local value a "later" start begins from. */
export function tomorrowMorning(timeZone: string, now = Date.now()): string {
  const day = localInput(now + 86_400_000, timeZone).slice(0, 10);
  return day ? `${day}T10:00` : "";
}

function timeZones(current: string): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  const all = intl.supportedValuesOf?.("timeZone") ?? ["UTC", "Europe/London", "Europe/Lisbon", "America/Sao_Paulo", "America/New_York", "Asia/Kolkata"];
  return all.includes(current) ? all : [current, ...all];
}

/** When it starts (for a paused campaign: when it resumes) and the pace per number. */
export function ScheduleFields({ d, set, errors, showWhen, paused = false, forecast }: { d: Draft; set: SetDraft; errors: Record<string, string>; showWhen: boolean; paused?: boolean; forecast?: ReactNode }) {
  const zones = useMemo(() => timeZones(d.timezone), [d.timezone]);
  const warnings = pacingWarnings(d);
  return (
    <div className="flex flex-col gap-4">
      <p className="text-sm text-slate-700" data-testid="campaign-timezone">
        {tr("schedule.zone", { zone: zoneLabel(d.timezone) })}
      </p>
      {showWhen && (
        <fieldset className="flex flex-col gap-2">
          <legend className="text-sm font-medium text-slate-800">{paused ? tr("schedule.whenResume") : tr("schedule.when")}</legend>
          <label className="flex items-center gap-2 text-sm">
            <input type="radio" name="when" checked={d.when === "now"} onChange={() => set("when", "now")} /> {paused ? tr("schedule.resumeOnPress") : tr("schedule.now")}
          </label>
          <label className="flex items-center gap-2 text-sm">
            <input
              type="radio"
              name="when"
              checked={d.when === "later"}
              onChange={() => {
                set("when", "later");
                // Starts from a sensible time in the campaign's (the account's) zone, not an empty field.
                if (!d.sendAt) set("sendAt", tomorrowMorning(d.timezone));
              }}
            />{" "}
            {paused ? tr("schedule.resumeLater") : tr("schedule.later")}
          </label>
          {d.when === "later" && (
            <div className="grid gap-3 pl-6 sm:grid-cols-2">
              <TextField label={tr("schedule.dateTime")} type="datetime-local" value={d.sendAt} onChange={(e) => set("sendAt", e.target.value)} error={errors.send_at} />
              <SelectField label={tr("schedule.timezone")} value={d.timezone} onChange={(e) => set("timezone", e.target.value)} error={errors.timezone}>
                {zones.map((z) => (
                  <option key={z} value={z}>
                    {z === d.timezone ? zoneLabel(z) : z}
                  </option>
                ))}
              </SelectField>
            </div>
          )}
        </fieldset>
      )}
      <fieldset className="flex flex-col gap-3">
        <legend className="text-sm font-medium text-slate-800">{tr("schedule.pace")}</legend>
        <div className="grid gap-3 sm:grid-cols-3">
          <TextField label={tr("schedule.minGap")} type="number" min={0} max={3600} value={d.minGap} onChange={(e) => set("minGap", e.target.value)} error={errors["pacing.min_gap_s"]} />
          <TextField label={tr("schedule.maxGap")} type="number" min={0} max={3600} value={d.maxGap} onChange={(e) => set("maxGap", e.target.value)} error={errors["pacing.max_gap_s"] ?? (errors.pacing && !errors["pacing.quiet_start"] ? errors.pacing : undefined)} />
          <TextField label={tr("schedule.dailyCap")} type="number" min={1} max={100000} value={d.dailyCap} onChange={(e) => set("dailyCap", e.target.value)} error={errors["pacing.daily_cap"]} />
        </div>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={d.warmup} onChange={(e) => set("warmup", e.target.checked)} /> {tr("schedule.warmup")}
        </label>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={d.quiet} onChange={(e) => set("quiet", e.target.checked)} /> {tr("schedule.quiet", { zone: d.timezone })}
        </label>
        {d.quiet && (
          <div className="grid gap-3 pl-6 sm:grid-cols-2">
            <TextField label={tr("schedule.quietFrom")} type="time" value={d.quietStart} onChange={(e) => set("quietStart", e.target.value)} error={errors["pacing.quiet_start"]} />
            <TextField label={tr("schedule.quietUntil")} type="time" value={d.quietEnd} onChange={(e) => set("quietEnd", e.target.value)} error={errors["pacing.quiet_end"]} />
          </div>
        )}
        {warnings.map((w) => (
          <Alert key={w} tone="warning">
            {w}
          </Alert>
        ))}
      </fieldset>
      <div className="flex flex-col gap-3 rounded-md border border-slate-200 bg-slate-50 p-3">
        <p className="text-sm font-medium text-slate-800">{tr("schedule.done")}</p>
        <div className="max-w-xs">
          <TextField label={tr("schedule.deadline")} type="datetime-local" value={d.deadline} onChange={(e) => set("deadline", e.target.value)} error={errors.deadline} hint={tr("schedule.deadline.hint", { zone: d.timezone })} />
        </div>
        {forecast}
      </div>
    </div>
  );
}
