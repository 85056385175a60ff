import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { messageOf } from "../../api/errors";
import { useDuplicate, useFollowUp, useFollowUpPreview, type FollowUpKind } from "../../api/followupsApi";
import type { Campaign } from "../../api/types";
import { Alert, Button, ErrorState, Loading, Modal, TextField } from "../../components/ui";
import { useI18n, type MessageKey } from "../../i18n";
import { showToast } from "../../lib/toast";

const KINDS: FollowUpKind[] = ["not_replied", "not_read", "read_not_replied"];
/** Statuses a campaign can be followed up from, once it sent something. */
const FOLLOWABLE = new Set(["running", "paused", "completed", "cancelled"]);

export const canFollowUp = (c: Campaign) => FOLLOWABLE.has(c.status) && c.funnel.sent > 0;

/** "Follow up" and "Duplicate" for a campaign's header; each new draft opens in the editor. */
export function CampaignCopyActions({ campaign: c }: { campaign: Campaign }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const duplicate = useDuplicate();
  const [open, setOpen] = useState(false);
  const onDuplicate = () =>
    duplicate.mutate(c.campaign_id, {
      onSuccess: (copy) => {
        showToast(t("followup.duplicated"), "success");
        navigate(`/campaigns/${copy.campaign_id}/edit`);
      },
      onError: (error) => showToast(messageOf(error), "error"),
    });
  return (
    <>
      {canFollowUp(c) && (
        <Button variant="secondary" onClick={() => setOpen(true)}>
          {t("followup.button")}
        </Button>
      )}
      <Button variant="secondary" busy={duplicate.isPending} onClick={onDuplicate}>
        {t("followup.duplicate")}
      </Button>
      {open && <FollowUpDialog campaign={c} onClose={() => setOpen(false)} />}
    </>
  );
}

export function FollowUpDialog({ campaign: c, onClose }: { campaign: Campaign; onClose: () => void }) {
  const { t, n } = useI18n();
  const navigate = useNavigate();
  const preview = useFollowUpPreview(c.campaign_id, true);
  const create = useFollowUp();
  const [kind, setKind] = useState<FollowUpKind>("not_replied");
  const [days, setDays] = useState("2");
  const daysValue = Number(days);
  const daysError = days.trim() === "" || !Number.isInteger(daysValue) || daysValue < 0 || daysValue > 90 ? "0 – 90" : undefined;
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (daysError) return;
    create.mutate(
      { id: c.campaign_id, body: { kind, after_days: daysValue } },
      { onSuccess: (draft) => navigate(`/campaigns/${draft.campaign_id}/edit`) },
    );
  };
  const count = preview.data ? preview.data[kind] : null;
  return (
    <Modal
      title={t("followup.title", { name: c.name })}
      onClose={onClose}
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            {t("followup.cancel")}
          </Button>
          <Button type="submit" form="follow-up-form" busy={create.isPending}>
            {t("followup.create")}
          </Button>
        </>
      }
    >
      <form id="follow-up-form" className="flex flex-col gap-4" onSubmit={onSubmit}>
        <p className="text-sm text-slate-700">{t("followup.intro")}</p>
        <fieldset className="flex flex-col gap-2">
          <legend className="mb-1 text-sm font-medium text-slate-800">{t("followup.who")}</legend>
          {KINDS.map((k) => (
            <label key={k} className="flex items-center gap-2 text-sm">
              <input type="radio" name="follow-up-kind" value={k} checked={kind === k} onChange={() => setKind(k)} />
              {t(`followup.kind.${k}` as MessageKey)}
              {preview.data && <span className="text-slate-600">({n(preview.data[k])})</span>}
            </label>
          ))}
        </fieldset>
        <div className="rounded-md bg-slate-50 p-3 text-sm" aria-live="polite">
          {preview.isPending ? (
            <Loading what={t("followup.loading")} />
          ) : preview.isError ? (
            <ErrorState error={preview.error} what={t("followup.loading")} onRetry={() => preview.refetch()} />
          ) : (
            <p data-testid="follow-up-count">
              <strong>{t(preview.data.exact ? "followup.count" : "followup.countAbout", { count: n(count ?? 0) })}</strong>
            </p>
          )}
          <p className="mt-1 text-xs text-slate-600">{t("followup.countHint")}</p>
        </div>
        <TextField
          label={t("followup.after")}
          type="number"
          inputMode="numeric"
          min={0}
          max={90}
          value={days}
          onChange={(e) => setDays(e.target.value)}
          error={daysError}
          hint={t("followup.afterHint", { name: c.name })}
        />
        {create.isError && <Alert>{messageOf(create.error)}</Alert>}
      </form>
    </Modal>
  );
}
