import { useMemo, type ReactNode } from "react";
import { Alert, SelectField, TextField } from "../../../components/ui";
import { pacingWarnings, type Draft, type SetDraft } from "./draft";

function timeZones(current: string): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  const all = intl.supportedValuesOf?.("timeZone") ?? ["UTC", "Europe/London", "Europe/Lisbon", "America/Sao_Paulo", "America/New_York", "Asia/Kolkata"];
  return all.includes(current) ? all : [current, ...all];
}

/** When it starts (not for a campaign that already started) and the pace per number. */
export function ScheduleFields({ d, set, errors, showWhen, forecast }: { d: Draft; set: SetDraft; errors: Record<string, string>; showWhen: boolean; forecast?: ReactNode }) {
  const zones = useMemo(() => timeZones(d.timezone), [d.timezone]);
  const warnings = pacingWarnings(d);
  return (
    <div className="flex flex-col gap-4">
      {showWhen && (
        <fieldset className="flex flex-col gap-2">
          <legend className="text-sm font-medium text-slate-800">When</legend>
          <label className="flex items-center gap-2 text-sm">
            <input type="radio" name="when" checked={d.when === "now"} onChange={() => set("when", "now")} /> As soon as I launch it
          </label>
          <label className="flex items-center gap-2 text-sm">
            <input type="radio" name="when" checked={d.when === "later"} onChange={() => set("when", "later")} /> At a date and time
          </label>
          {d.when === "later" && (
            <div className="grid gap-3 pl-6 sm:grid-cols-2">
              <TextField label="Date and time" type="datetime-local" value={d.sendAt} onChange={(e) => set("sendAt", e.target.value)} error={errors.send_at} />
              <SelectField label="Time zone" value={d.timezone} onChange={(e) => set("timezone", e.target.value)} error={errors.timezone}>
                {zones.map((z) => (
                  <option key={z} value={z}>
                    {z}
                  </option>
                ))}
              </SelectField>
            </div>
          )}
        </fieldset>
      )}
      <fieldset className="flex flex-col gap-3">
        <legend className="text-sm font-medium text-slate-800">Pace (per number)</legend>
        <div className="grid gap-3 sm:grid-cols-3">
          <TextField label="Shortest gap (seconds)" type="number" min={0} max={3600} value={d.minGap} onChange={(e) => set("minGap", e.target.value)} error={errors["pacing.min_gap_s"]} />
          <TextField label="Longest gap (seconds)" type="number" min={0} max={3600} value={d.maxGap} onChange={(e) => set("maxGap", e.target.value)} error={errors["pacing.max_gap_s"] ?? (errors.pacing && !errors["pacing.quiet_start"] ? errors.pacing : undefined)} />
          <TextField label="Most messages a day" type="number" min={1} max={100000} value={d.dailyCap} onChange={(e) => set("dailyCap", e.target.value)} error={errors["pacing.daily_cap"]} />
        </div>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={d.warmup} onChange={(e) => set("warmup", e.target.checked)} /> Warm up new numbers (20 on day one, doubling daily)
        </label>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={d.quiet} onChange={(e) => set("quiet", e.target.checked)} /> Quiet hours (no sending at night)
        </label>
        {d.quiet && (
          <div className="grid gap-3 pl-6 sm:grid-cols-2">
            <TextField label="Quiet from" type="time" value={d.quietStart} onChange={(e) => set("quietStart", e.target.value)} error={errors["pacing.quiet_start"]} />
            <TextField label="Quiet until" type="time" value={d.quietEnd} onChange={(e) => set("quietEnd", e.target.value)} error={errors["pacing.quiet_end"]} />
          </div>
        )}
        {warnings.map((w) => (
          <Alert key={w} tone="warning">
            {w}
          </Alert>
        ))}
      </fieldset>
      <div className="flex flex-col gap-3 rounded-md border border-slate-200 bg-slate-50 p-3">
        <p className="text-sm font-medium text-slate-800">When it will be done</p>
        <div className="max-w-xs">
          <TextField label="Must be done by (optional)" type="datetime-local" value={d.deadline} onChange={(e) => set("deadline", e.target.value)} error={errors.deadline} hint={`In ${d.timezone} time. You are warned if the pace cannot make it.`} />
        </div>
        {forecast}
      </div>
    </div>
  );
}
