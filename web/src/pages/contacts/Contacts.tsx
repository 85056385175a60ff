import { useEffect, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { ApiError, messageOf } from "../../api/errors";
import { contactsExportLink, downloadContactData, downloadContactsExport, useContacts, useCreateContact, useDecideReview, useDeleteContact, useOptOutReviews, useSetOptOut, useTags, useUpdateContact, type ContactFilter } from "../../api/contactsApi";
import { useMe } from "../../api/queries";
import type { Contact } from "../../api/types";
import { Badge } from "../../components/SessionStatus";
import { Alert, Button, Card, ConfirmDialog, EmptyState, ErrorState, LoadMore, Loading, Modal, PageHeader, SelectField, TextField, cx } from "../../components/ui";
import { formErrors } from "../../lib/forms";
import { showToast } from "../../lib/toast";
import { useI18n } from "../../i18n";

export function displayPhone(phone: string): string {
  return phone.startsWith("+") ? phone : `+${phone}`;
}

export function contactName(c: Pick<Contact, "name" | "first_name" | "last_name">): string {
  return c.name || [c.first_name, c.last_name].filter(Boolean).join(" ") || "—";
}

/** The search box waits for a pause in typing before asking the API. */
function useDebounced<T>(value: T, ms = 300): T {
  const [current, setCurrent] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setCurrent(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return current;
}

export function ContactsPage() {
  const [q, setQ] = useState("");
  const [tag, setTag] = useState("");
  const [optedOut, setOptedOut] = useState<ContactFilter["optedOut"]>("");
  const [field, setField] = useState("");
  const [fieldValue, setFieldValue] = useState("");
  const [shown, setShown] = useState<string[]>([]);
  const filter = { q: useDebounced(q), tag, optedOut, field, fieldValue: useDebounced(fieldValue) };
  const contacts = useContacts(filter);
  const { t, n, d } = useI18n();
  // Custom fields seen on the loaded contacts: columns to show and keys to filter on.
  const fieldKeys = [...new Set([...(contacts.data ?? []).flatMap((c) => Object.keys(c.fields)), ...shown, ...(field ? [field] : [])])].sort();
  const labelOf = (key: string) => tags.data?.items.find((x) => x.tag === key)?.label || key;
  const tags = useTags();
  const [editing, setEditing] = useState<Contact | "new" | null>(null);
  const [deleting, setDeleting] = useState<Contact | null>(null);
  const [exporting, setExporting] = useState(false);
  const remove = useDeleteContact();
  const opt = useSetOptOut();

  const onExport = async () => {
    setExporting(true);
    try {
      try {
        await downloadContactsExport(tag);
      } catch (error) {
        // Over 5 MB the API will not answer inline; it hands out a download link instead.
        if (!(error instanceof ApiError && error.status === 413)) throw error;
        const link = await contactsExportLink(tag);
        window.location.assign(link.url);
      }
    } catch (error) {
      showToast(t("contacts.exportFailed", { message: messageOf(error) }), "error");
    } finally {
      setExporting(false);
    }
  };

  const toggleOpt = (c: Contact) =>
    opt.mutate(
      { phone: c.phone, optOut: !c.opted_out },
      {
        onSuccess: () => showToast(t(c.opted_out ? "contacts.optedIn.toast" : "contacts.optedOut.toast", { phone: displayPhone(c.phone) }), "success"),
        onError: (error) => showToast(messageOf(error), "error"),
      },
    );

  return (
    <>
      <PageHeader title={t("contacts.title")}>
        <Button onClick={() => setEditing("new")}>{t("contacts.add")}</Button>
        <Link to="/contacts/import" className="inline-flex items-center rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-medium text-slate-800 hover:bg-slate-50">
          {t("contacts.import")}
        </Link>
        <Button variant="secondary" busy={exporting} onClick={() => void onExport()}>
          {t("contacts.export")}
        </Button>
      </PageHeader>
      <div className="grid grid-cols-1 items-start gap-4 lg:grid-cols-[1fr_16rem]">
        <div className="min-w-0">
          <form role="search" className="mb-4 grid grid-cols-1 gap-3 sm:grid-cols-3" onSubmit={(e) => e.preventDefault()}>
            <TextField label={t("contacts.search")} type="search" placeholder={t("contacts.search.placeholder")} value={q} onChange={(e) => setQ(e.target.value)} />
            <SelectField label={t("contacts.tag")} value={tag} onChange={(e) => setTag(e.target.value)}>
              <option value="">{t("contacts.allTags")}</option>
              {(tags.data?.items ?? []).map((x) => (
                <option key={x.tag} value={x.tag}>
                  {x.label || x.tag} ({n(x.count)})
                </option>
              ))}
            </SelectField>
            <SelectField label={t("contacts.optout")} value={optedOut} onChange={(e) => setOptedOut(e.target.value as ContactFilter["optedOut"])}>
              <option value="">{t("contacts.everyone")}</option>
              <option value="false">{t("contacts.canMessage")}</option>
              <option value="true">{t("contacts.optedOut")}</option>
            </SelectField>
            {fieldKeys.length > 0 && (
              <>
                <SelectField label={t("contacts.field")} value={field} onChange={(e) => setField(e.target.value)}>
                  <option value="">{t("contacts.field.any")}</option>
                  {fieldKeys.map((key) => (
                    <option key={key} value={key}>
                      {key}
                    </option>
                  ))}
                </SelectField>
                {field && <TextField label={t("contacts.field.value")} value={fieldValue} onChange={(e) => setFieldValue(e.target.value)} />}
                <fieldset className="sm:col-span-3">
                  <legend className="text-sm font-medium text-slate-800">{t("contacts.columns.hint")}</legend>
                  <div className="mt-1 flex flex-wrap gap-3">
                    {fieldKeys.map((key) => (
                      <label key={key} className="flex items-center gap-1 text-sm">
                        <input type="checkbox" checked={shown.includes(key)} onChange={() => setShown((now) => (now.includes(key) ? now.filter((k) => k !== key) : [...now, key]))} />
                        {key}
                      </label>
                    ))}
                  </div>
                </fieldset>
              </>
            )}
          </form>
          {contacts.isPending ? (
            <Loading what="contacts" />
          ) : contacts.isError ? (
            <ErrorState error={contacts.error} what="contacts" onRetry={() => contacts.refetch()} />
          ) : contacts.data.length === 0 ? (
            q || tag || optedOut || (field && fieldValue) ? (
              <EmptyState title={t("contacts.noMatch")}>{t("contacts.noMatch.text")}</EmptyState>
            ) : (
              <EmptyState
                title={t("contacts.none")}
                action={
                  <Link to="/contacts/import" className="font-medium text-brand-700 underline">
                    {t("contacts.none.link")}
                  </Link>
                }
              >
                {t("contacts.none.text")}
              </EmptyState>
            )
          ) : (
            <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
              <table className="min-w-full text-left text-sm">
                <caption className="sr-only">{t("contacts.title")}</caption>
                <thead className="bg-slate-50 text-xs uppercase text-slate-600">
                  <tr>
                    <th scope="col" className="px-3 py-2">{t("contacts.col.phone")}</th>
                    <th scope="col" className="px-3 py-2">{t("contacts.col.name")}</th>
                    <th scope="col" className="hidden px-3 py-2 md:table-cell">{t("contacts.col.email")}</th>
                    <th scope="col" className="hidden px-3 py-2 sm:table-cell">{t("contacts.col.tags")}</th>
                    {shown.map((key) => (
                      <th key={key} scope="col" className="px-3 py-2 normal-case">{key}</th>
                    ))}
                    <th scope="col" className="px-3 py-2">
                      <span className="sr-only">{t("contacts.col.actions")}</span>
                    </th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100">
                  {contacts.data.map((c) => (
                    <tr key={c.phone}>
                      <td className="whitespace-nowrap px-3 py-2 font-mono text-xs">
                        {displayPhone(c.phone)}
                        {c.opted_out && (
                          <span className="ml-2">
                            <Badge tone="bad">{t("contacts.optedOut")}</Badge>
                          </span>
                        )}
                      </td>
                      <td className="px-3 py-2">
                        {contactName(c)}
                        {c.opted_out && c.opted_out_at && (
                          <p className="text-xs text-slate-600" data-testid="opt-out-reason">
                            {c.opted_out_reply ? t("contacts.optedOutBecause", { date: d(c.opted_out_at), reply: c.opted_out_reply }) : t("contacts.optedOutOn", { date: d(c.opted_out_at) })}
                          </p>
                        )}
                      </td>
                      <td className="hidden px-3 py-2 md:table-cell">{c.email ?? "—"}</td>
                      <td className="hidden px-3 py-2 sm:table-cell">
                        <div className="flex flex-wrap gap-1">
                          {c.tags.map((x) => (
                            <Badge key={x} tone="muted">{labelOf(x)}</Badge>
                          ))}
                        </div>
                      </td>
                      {shown.map((key) => (
                        <td key={key} className="px-3 py-2">{c.fields[key] ?? "—"}</td>
                      ))}
                      <td className="px-1 py-1 text-right sm:px-3 sm:py-2">
                        <div className="flex flex-col items-end sm:flex-row sm:justify-end">
                        <Button size="sm" variant="ghost" aria-label={`${t("contacts.edit")} ${displayPhone(c.phone)}`} onClick={() => setEditing(c)}>
                          {t("contacts.edit")}
                        </Button>
                        <Button
                          size="sm"
                          variant="ghost"
                          aria-label={`${t(c.opted_out ? "contacts.optInAction" : "contacts.optOutAction")} ${displayPhone(c.phone)}`}
                          busy={opt.isPending && opt.variables?.phone === c.phone}
                          onClick={() => toggleOpt(c)}
                        >
                          {t(c.opted_out ? "contacts.optInAction" : "contacts.optOutAction")}
                        </Button>
                        <Button size="sm" variant="ghost" className="text-red-700" aria-label={`${t("contacts.delete")} ${displayPhone(c.phone)}`} onClick={() => setDeleting(c)}>
                          {t("contacts.delete")}
                        </Button>
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <LoadMore query={contacts} what={t("contacts.more")} />
        </div>
        <div className="flex flex-col gap-4">
          <ReviewsCard />
          <TagsCard tags={tags} selected={tag} onSelect={setTag} />
        </div>
      </div>
      {editing && <ContactModal contact={editing === "new" ? null : editing} onClose={() => setEditing(null)} />}
      {deleting && (
        <ConfirmDialog
          title={t("contacts.deleteTitle", { phone: displayPhone(deleting.phone) })}
          confirmLabel={t("contacts.deleteConfirm")}
          busy={remove.isPending}
          error={remove.error}
          onCancel={() => {
            remove.reset();
            setDeleting(null);
          }}
          onConfirm={() =>
            remove.mutate(deleting.phone, {
              onSuccess: () => {
                showToast(t("contacts.deleted.toast"), "success");
                setDeleting(null);
              },
            })
          }
        >
          {t("contacts.deleteText")} {deleting.opted_out ? t("contacts.deleteKeepsOptOut") : ""}
        </ConfirmDialog>
      )}
    </>
  );
}

function ReviewsCard() {
  const reviews = useOptOutReviews();
  const decide = useDecideReview();
  const { t, d } = useI18n();
  if (!reviews.data || reviews.data.length === 0) return null;
  return (
    <Card title={t("contacts.reviews.title")}>
      <p className="mb-2 text-sm text-slate-700">{t("contacts.reviews.intro")}</p>
      <ul className="flex flex-col divide-y divide-slate-100" aria-label={t("contacts.reviews.title")}>
        {reviews.data.map((r) => (
          <li key={r.review_id} className="py-2">
            <p className="font-mono text-xs">{displayPhone(r.phone)}</p>
            <p className="text-sm">“{r.body}”</p>
            <p className="text-xs text-slate-600">{d(r.at)}</p>
            <div className="mt-1 flex flex-wrap gap-1">
              <Button
                size="sm"
                variant="danger"
                busy={decide.isPending && decide.variables?.reviewId === r.review_id && decide.variables.confirm}
                onClick={() =>
                  decide.mutate(
                    { reviewId: r.review_id, confirm: true },
                    { onSuccess: () => showToast(t("contacts.reviews.confirmed", { phone: displayPhone(r.phone) }), "success"), onError: (e) => showToast(messageOf(e), "error") },
                  )
                }
              >
                {t("contacts.reviews.confirm")}
              </Button>
              <Button
                size="sm"
                variant="secondary"
                onClick={() =>
                  decide.mutate(
                    { reviewId: r.review_id, confirm: false },
                    { onSuccess: () => showToast(t("contacts.reviews.dismissed", { phone: displayPhone(r.phone) }), "success"), onError: (e) => showToast(messageOf(e), "error") },
                  )
                }
              >
                {t("contacts.reviews.dismiss")}
              </Button>
            </div>
          </li>
        ))}
      </ul>
    </Card>
  );
}

function TagsCard({ tags, selected, onSelect }: { tags: ReturnType<typeof useTags>; selected: string; onSelect: (tag: string) => void }) {
  const { t, n } = useI18n();
  return (
    <Card title={t("contacts.tags.title")}>
      {tags.isPending ? (
        <Loading what="tags" />
      ) : tags.isError ? (
        <ErrorState error={tags.error} what="tags" onRetry={() => tags.refetch()} />
      ) : tags.data.items.length === 0 ? (
        <p className="text-sm text-slate-600">{t("contacts.tags.none")}</p>
      ) : (
        <ul className="flex flex-col gap-1">
          {tags.data.items.map((x) => (
            <li key={x.tag}>
              <button
                type="button"
                aria-pressed={selected === x.tag}
                onClick={() => onSelect(selected === x.tag ? "" : x.tag)}
                className={cx("flex w-full justify-between rounded-md px-2 py-1 text-sm", selected === x.tag ? "bg-brand-50 text-brand-800" : "hover:bg-slate-100")}
              >
                <span className="truncate">{x.label || x.tag}</span>
                <span className="text-slate-600">{n(x.count)}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

/** "a, b" → ["a","b"]; "key: value" lines → {key: value}. */
export function parseTags(text: string): string[] {
  // The spelling typed is kept for display; the API matches tags case-insensitively.
  const seen = new Map<string, string>();
  for (const raw of text.split(",")) {
    const tag = raw.trim().replace(/\s+/g, " ");
    if (tag && !seen.has(tag.toLowerCase())) seen.set(tag.toLowerCase(), tag);
  }
  return [...seen.values()];
}

export function parseFields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const at = line.indexOf(":");
    if (at <= 0) continue;
    const key = line.slice(0, at).trim();
    if (key) out[key] = line.slice(at + 1).trim();
  }
  return out;
}

const FIELDS = ["phone", "first_name", "last_name", "name", "email", "tags", "fields"] as const;

export function ContactModal({ contact, onClose }: { contact: Contact | null; onClose: () => void }) {
  const [phone, setPhone] = useState(contact?.phone ?? "");
  const [name, setName] = useState(contact?.name ?? "");
  const { t, country, d } = useI18n();
  const me = useMe();
  const [firstName, setFirstName] = useState(contact?.first_name ?? "");
  const [lastName, setLastName] = useState(contact?.last_name ?? "");
  const [email, setEmail] = useState(contact?.email ?? "");
  const [tags, setTags] = useState((contact?.tags ?? []).join(", "));
  const [fields, setFields] = useState(Object.entries(contact?.fields ?? {}).map(([k, v]) => `${k}: ${v}`).join("\n"));
  const create = useCreateContact();
  const update = useUpdateContact();
  const mutation = contact ? update : create;
  const errors = formErrors(mutation.error, FIELDS);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const common = {
      name: name.trim() || null,
      first_name: firstName.trim() || null,
      last_name: lastName.trim() || null,
      email: email.trim() || null,
      tags: parseTags(tags),
      fields: parseFields(fields),
    };
    const onSuccess = () => {
      showToast(t(contact ? "contacts.saved.toast" : "contacts.added.toast"), "success");
      onClose();
    };
    if (contact) update.mutate({ phone: contact.phone, body: common }, { onSuccess });
    else create.mutate({ phone: phone.trim(), ...common }, { onSuccess });
  };

  return (
    <Modal title={contact ? t("contacts.dialog.edit", { phone: displayPhone(contact.phone) }) : t("contacts.dialog.add")} onClose={onClose}>
      <form onSubmit={submit} className="flex flex-col gap-3" noValidate>
        {errors.form && <Alert>{errors.form}</Alert>}
        {!contact && (
          <TextField label={t("contacts.dialog.phone")} required inputMode="tel" autoComplete="off" hint={t("contacts.dialog.phone.hint", { country: country(me.data?.default_region ?? "US") })} value={phone} onChange={(e) => setPhone(e.target.value)} error={errors.fields.phone} />
        )}
        {contact?.opted_out && contact.opted_out_at && (
          <Alert tone="warning">{contact.opted_out_reply ? t("contacts.optedOutBecause", { date: d(contact.opted_out_at), reply: contact.opted_out_reply }) : t("contacts.optedOutOn", { date: d(contact.opted_out_at) })}</Alert>
        )}
        <TextField label={t("contacts.dialog.fullName")} hint={t("contacts.dialog.fullName.hint")} autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} error={errors.fields.name} />
        <div className="grid gap-3 sm:grid-cols-2">
          <TextField label={t("contacts.dialog.first")} value={firstName} onChange={(e) => setFirstName(e.target.value)} error={errors.fields.first_name} />
          <TextField label={t("contacts.dialog.last")} value={lastName} onChange={(e) => setLastName(e.target.value)} error={errors.fields.last_name} />
        </div>
        <TextField label={t("contacts.dialog.email")} type="email" value={email} onChange={(e) => setEmail(e.target.value)} error={errors.fields.email} />
        <TextField label={t("contacts.dialog.tags")} hint={t("contacts.dialog.tags.hint")} value={tags} onChange={(e) => setTags(e.target.value)} error={errors.fields.tags} />
        <div className="flex flex-col gap-1">
          <label htmlFor="contact-fields" className="text-sm font-medium text-slate-800">
            {t("contacts.dialog.fields")}
          </label>
          <textarea
            id="contact-fields"
            rows={3}
            aria-describedby="contact-fields-hint"
            aria-invalid={errors.fields.fields ? true : undefined}
            className={cx("rounded-md border px-3 py-2 text-base sm:text-sm", errors.fields.fields ? "border-red-600" : "border-slate-300")}
            value={fields}
            onChange={(e) => setFields(e.target.value)}
          />
          <p id="contact-fields-hint" className="text-xs text-slate-600">
            {t("contacts.dialog.fields.hint")}
          </p>
          {errors.fields.fields && <p className="text-sm text-red-700">{errors.fields.fields}</p>}
        </div>
        <div className="flex flex-wrap justify-end gap-2">
          {contact && <ContactDataButton phone={contact.phone} />}
          <Button variant="secondary" onClick={onClose}>
            {t("contacts.dialog.cancel")}
          </Button>
          <Button type="submit" busy={mutation.isPending}>
            {contact ? t("contacts.dialog.save") : t("contacts.add")}
          </Button>
        </div>
      </form>
    </Modal>
  );
}

/** A data access request: everything held about this contact, their conversations included. */
function ContactDataButton({ phone }: { phone: string }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const download = async () => {
    setBusy(true);
    try {
      await downloadContactData(phone);
    } catch (error) {
      showToast(t("contacts.dialog.data.failed", { message: messageOf(error) }), "error");
    } finally {
      setBusy(false);
    }
  };
  return (
    <Button variant="secondary" className="mr-auto" busy={busy} onClick={() => void download()}>
      {t("contacts.dialog.data")}
    </Button>
  );
}
