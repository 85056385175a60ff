import { useEffect, useMemo, useState, type FormEvent } from "react";
import { useMe, useRevokeToken, useTokens, useUpdateMe } from "../api/queries";
import { tokenStore } from "../api/token";
import type { Token, User } from "../api/types";
import { Alert, Button, Card, ConfirmDialog, EmptyState, ErrorState, LoadMore, Loading, PageHeader, TextField } from "../components/ui";
import { formErrors } from "../lib/forms";
import { formatDateTime, timeAgo } from "../lib/time";
import { showToast } from "../lib/toast";

export function SettingsPage() {
  const me = useMe();
  return (
    <>
      <PageHeader title="Settings" />
      <div className="grid items-start gap-4 lg:grid-cols-2">
        <Card title="Profile">
          {me.isPending ? <Loading what="your profile" /> : me.isError ? <ErrorState error={me.error} what="your profile" onRetry={() => me.refetch()} /> : <ProfileForm user={me.data} />}
        </Card>
        <TokensCard />
      </div>
    </>
  );
}

function timezones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  try {
    return intl.supportedValuesOf?.("timeZone") ?? [];
  } catch {
    return [];
  }
}

function ProfileForm({ user }: { user: User }) {
  const [name, setName] = useState(user.name);
  const [region, setRegion] = useState(user.default_region);
  const [timezone, setTimezone] = useState(user.timezone);
  const update = useUpdateMe();
  const errors = formErrors(update.error, ["name", "default_region", "timezone"]);
  const zones = useMemo(timezones, []);
  useEffect(() => {
    setName(user.name);
    setRegion(user.default_region);
    setTimezone(user.timezone);
  }, [user]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    update.mutate(
      { name: name.trim(), default_region: region.trim().toUpperCase(), timezone: timezone.trim() },
      { onSuccess: () => showToast("Profile saved.", "success") },
    );
  };
  return (
    <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
      {errors.form && <Alert>{errors.form}</Alert>}
      <TextField label="Email" value={user.email} readOnly disabled hint="Your sign-in address cannot be changed here." />
      <TextField label="Name" autoComplete="name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} error={errors.fields.name} />
      <TextField
        label="Default country"
        hint="Two-letter code (e.g. US, GB, BR), used to read phone numbers written without a country code."
        maxLength={2}
        autoCapitalize="characters"
        value={region}
        onChange={(e) => setRegion(e.target.value)}
        error={errors.fields.default_region}
      />
      <TextField
        label="Time zone"
        hint="Campaign times and quiet hours use it, e.g. Europe/London."
        list="timezones"
        value={timezone}
        onChange={(e) => setTimezone(e.target.value)}
        error={errors.fields.timezone}
      />
      <datalist id="timezones">
        {zones.map((z) => (
          <option key={z} value={z} />
        ))}
      </datalist>
      <div>
        <Button type="submit" busy={update.isPending}>
          Save profile
        </Button>
      </div>
    </form>
  );
}

function TokensCard() {
  const tokens = useTokens();
  const revoke = useRevokeToken();
  const [target, setTarget] = useState<Token | null>(null);
  const current = tokenStore.id();
  return (
    <Card title="Signed-in devices and tokens">
      {tokens.isPending ? (
        <Loading what="your tokens" />
      ) : tokens.isError ? (
        <ErrorState error={tokens.error} what="your tokens" onRetry={() => tokens.refetch()} />
      ) : tokens.data.length === 0 ? (
        <EmptyState title="No tokens" />
      ) : (
        <ul className="divide-y divide-slate-100">
          {tokens.data.map((t) => (
            <li key={t.token_id} className="flex flex-wrap items-center justify-between gap-2 py-3">
              <div className="min-w-0">
                <p className="text-sm font-medium">
                  {t.label ?? "Unnamed token"}
                  {t.token_id === current && <span className="ml-2 rounded bg-brand-50 px-1.5 py-0.5 text-xs text-brand-800">This browser</span>}
                </p>
                <p className="text-xs text-slate-600">
                  Created {formatDateTime(t.created_at)} · last used {timeAgo(t.last_used_at)} · expires {formatDateTime(t.expires_at)}
                </p>
              </div>
              <Button aria-label={`Revoke ${t.label ?? t.token_id}`} size="sm" variant="secondary" onClick={() => setTarget(t)}>
                Revoke
              </Button>
            </li>
          ))}
        </ul>
      )}
      <LoadMore query={tokens} what="tokens" />
      {target && (
        <ConfirmDialog
          title="Revoke this token?"
          confirmLabel="Revoke"
          busy={revoke.isPending}
          error={revoke.error}
          onCancel={() => {
            revoke.reset();
            setTarget(null);
          }}
          onConfirm={() =>
            revoke.mutate(target.token_id, {
              onSuccess: () => {
                setTarget(null);
                if (target.token_id === current) tokenStore.set(null);
                else showToast("Token revoked.", "success");
              },
            })
          }
        >
          {target.token_id === current ? "This is the token of this browser: you will be signed out." : "Whatever uses it is signed out at once."}
        </ConfirmDialog>
      )}
    </Card>
  );
}
