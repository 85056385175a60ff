import { useEffect, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { ApiError, messageOf } from "../../api/errors";
import { useContacts, useCreateContact, useDeleteContact, useSetOptOut, useTags, useUpdateContact, type ContactFilter } from "../../api/contactsApi";
import { downloadFile, rawFetch } from "../../api/raw";
import type { Contact } from "../../api/types";
import { Badge } from "../../components/SessionStatus";
import { Alert, Button, Card, ConfirmDialog, EmptyState, ErrorState, LoadMore, Loading, Modal, PageHeader, SelectField, TextField, cx } from "../../components/ui";
import { formErrors } from "../../lib/forms";
import { showToast } from "../../lib/toast";

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
  const filter = { q: useDebounced(q), tag, optedOut };
  const contacts = useContacts(filter);
  const tags = useTags();
  const [editing, setEditing] = useState<Contact | "new" | null>(null);
  const [deleting, setDeleting] = useState<Contact | null>(null);
  const [exporting, setExporting] = useState(false);
  const remove = useDeleteContact();
  const opt = useSetOptOut();

  const onExport = async () => {
    setExporting(true);
    const query = tag ? `tag=${encodeURIComponent(tag)}` : "";
    try {
      try {
        await downloadFile(`/api/contacts/export${query ? `?${query}` : ""}`, tag ? `contacts-${tag}.csv` : "contacts.csv");
      } catch (error) {
        // Over 5 MB the API will not answer inline; it hands out a download link instead.
        if (!(error instanceof ApiError && error.status === 413)) throw error;
        const link = (await (await rawFetch(`/api/contacts/export?delivery=url${query ? `&${query}` : ""}`)).json()) as { url: string };
        window.location.assign(link.url);
      }
    } catch (error) {
      showToast(`Could not export: ${messageOf(error)}`, "error");
    } finally {
      setExporting(false);
    }
  };

  const toggleOpt = (c: Contact) =>
    opt.mutate(
      { phone: c.phone, optOut: !c.opted_out },
      {
        onSuccess: () => showToast(c.opted_out ? `${displayPhone(c.phone)} can be messaged again.` : `${displayPhone(c.phone)} will not be messaged.`, "success"),
        onError: (error) => showToast(messageOf(error), "error"),
      },
    );

  return (
    <>
      <PageHeader title="Contacts">
        <Button onClick={() => setEditing("new")}>Add contact</Button>
        <Link to="/contacts/import" className="inline-flex items-center rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-medium text-slate-800 hover:bg-slate-50">
          Import CSV
        </Link>
        <Button variant="secondary" busy={exporting} onClick={() => void onExport()}>
          Export CSV
        </Button>
      </PageHeader>
      <div className="grid items-start gap-4 lg:grid-cols-[1fr_16rem]">
        <div className="min-w-0">
          <form role="search" className="mb-4 grid gap-3 sm:grid-cols-3" onSubmit={(e) => e.preventDefault()}>
            <TextField label="Search" type="search" placeholder="Name, email or phone" value={q} onChange={(e) => setQ(e.target.value)} />
            <SelectField label="Tag" value={tag} onChange={(e) => setTag(e.target.value)}>
              <option value="">All tags</option>
              {(tags.data?.items ?? []).map((t) => (
                <option key={t.tag} value={t.tag}>
                  {t.tag} ({t.count})
                </option>
              ))}
            </SelectField>
            <SelectField label="Opt-out" value={optedOut} onChange={(e) => setOptedOut(e.target.value as ContactFilter["optedOut"])}>
              <option value="">Everyone</option>
              <option value="false">Can be messaged</option>
              <option value="true">Opted out</option>
            </SelectField>
          </form>
          {contacts.isPending ? (
            <Loading what="contacts" />
          ) : contacts.isError ? (
            <ErrorState error={contacts.error} what="contacts" onRetry={() => contacts.refetch()} />
          ) : contacts.data.length === 0 ? (
            q || tag || optedOut ? (
              <EmptyState title="No contacts match">Try another search or filter.</EmptyState>
            ) : (
              <EmptyState
                title="No contacts yet"
                action={
                  <Link to="/contacts/import" className="font-medium text-brand-700 underline">
                    Import a CSV file
                  </Link>
                }
              >
                Import your customer list or add contacts one by one.
              </EmptyState>
            )
          ) : (
            <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
              <table className="min-w-full text-left text-sm">
                <caption className="sr-only">Contacts</caption>
                <thead className="bg-slate-50 text-xs uppercase text-slate-600">
                  <tr>
                    <th scope="col" className="px-3 py-2">Phone</th>
                    <th scope="col" className="px-3 py-2">Name</th>
                    <th scope="col" className="hidden px-3 py-2 md:table-cell">Email</th>
                    <th scope="col" className="hidden px-3 py-2 sm:table-cell">Tags</th>
                    <th scope="col" className="px-3 py-2">
                      <span className="sr-only">Actions</span>
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
                            <Badge tone="bad">Opted out</Badge>
                          </span>
                        )}
                      </td>
                      <td className="px-3 py-2">{contactName(c)}</td>
                      <td className="hidden px-3 py-2 md:table-cell">{c.email ?? "—"}</td>
                      <td className="hidden px-3 py-2 sm:table-cell">
                        <div className="flex flex-wrap gap-1">
                          {c.tags.map((t) => (
                            <Badge key={t} tone="muted">{t}</Badge>
                          ))}
                        </div>
                      </td>
                      <td className="px-1 py-1 text-right sm:px-3 sm:py-2">
                        <div className="flex flex-col items-end sm:flex-row sm:justify-end">
                        <Button size="sm" variant="ghost" aria-label={`Edit ${displayPhone(c.phone)}`} onClick={() => setEditing(c)}>
                          Edit
                        </Button>
                        <Button
                          size="sm"
                          variant="ghost"
                          aria-label={`${c.opted_out ? "Opt in" : "Opt out"} ${displayPhone(c.phone)}`}
                          busy={opt.isPending && opt.variables?.phone === c.phone}
                          onClick={() => toggleOpt(c)}
                        >
                          {c.opted_out ? "Opt in" : "Opt out"}
                        </Button>
                        <Button size="sm" variant="ghost" className="text-red-700" aria-label={`Delete ${displayPhone(c.phone)}`} onClick={() => setDeleting(c)}>
                          Delete
                        </Button>
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <LoadMore query={contacts} what="contacts" />
        </div>
        <TagsCard tags={tags} selected={tag} onSelect={setTag} />
      </div>
      {editing && <ContactModal contact={editing === "new" ? null : editing} onClose={() => setEditing(null)} />}
      {deleting && (
        <ConfirmDialog
          title={`Delete ${displayPhone(deleting.phone)}?`}
          confirmLabel="Delete contact"
          busy={remove.isPending}
          error={remove.error}
          onCancel={() => {
            remove.reset();
            setDeleting(null);
          }}
          onConfirm={() =>
            remove.mutate(deleting.phone, {
              onSuccess: () => {
                showToast("The contact was deleted.", "success");
                setDeleting(null);
              },
            })
          }
        >
          The contact and its fields are removed. {deleting.opted_out ? "Its opt-out stays: the number is still never messaged." : ""}
        </ConfirmDialog>
      )}
    </>
  );
}

function TagsCard({ tags, selected, onSelect }: { tags: ReturnType<typeof useTags>; selected: string; onSelect: (tag: string) => void }) {
  return (
    <Card title="Tags">
      {tags.isPending ? (
        <Loading what="tags" />
      ) : tags.isError ? (
        <ErrorState error={tags.error} what="tags" onRetry={() => tags.refetch()} />
      ) : tags.data.items.length === 0 ? (
        <p className="text-sm text-slate-600">No tags yet. Tag contacts when you import or edit them.</p>
      ) : (
        <ul className="flex flex-col gap-1">
          {tags.data.items.map((t) => (
            <li key={t.tag}>
              <button
                type="button"
                aria-pressed={selected === t.tag}
                onClick={() => onSelect(selected === t.tag ? "" : t.tag)}
                className={cx("flex w-full justify-between rounded-md px-2 py-1 text-sm", selected === t.tag ? "bg-brand-50 text-brand-800" : "hover:bg-slate-100")}
              >
                <span className="truncate">{t.tag}</span>
                <span className="text-slate-600">{t.count.toLocaleString()}</span>
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
  return [...new Set(text.split(",").map((t) => t.trim().toLowerCase()).filter(Boolean))];
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
      first_name: firstName.trim() || null,
      last_name: lastName.trim() || null,
      email: email.trim() || null,
      tags: parseTags(tags),
      fields: parseFields(fields),
    };
    const onSuccess = () => {
      showToast(contact ? "The contact was saved." : "The contact was added.", "success");
      onClose();
    };
    if (contact) update.mutate({ phone: contact.phone, body: common }, { onSuccess });
    else create.mutate({ phone: phone.trim(), ...common }, { onSuccess });
  };

  return (
    <Modal title={contact ? `Edit ${displayPhone(contact.phone)}` : "Add a contact"} onClose={onClose}>
      <form onSubmit={submit} className="flex flex-col gap-3" noValidate>
        {errors.form && <Alert>{errors.form}</Alert>}
        {!contact && (
          <TextField label="Phone" required inputMode="tel" autoComplete="off" placeholder="+44 7700 900123" hint="With country code; numbers without one use your default region." value={phone} onChange={(e) => setPhone(e.target.value)} error={errors.fields.phone} />
        )}
        <div className="grid gap-3 sm:grid-cols-2">
          <TextField label="First name" value={firstName} onChange={(e) => setFirstName(e.target.value)} error={errors.fields.first_name} />
          <TextField label="Last name" value={lastName} onChange={(e) => setLastName(e.target.value)} error={errors.fields.last_name} />
        </div>
        <TextField label="Email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} error={errors.fields.email} />
        <TextField label="Tags" hint="Separated by commas, e.g. vip, newsletter" value={tags} onChange={(e) => setTags(e.target.value)} error={errors.fields.tags} />
        <div className="flex flex-col gap-1">
          <label htmlFor="contact-fields" className="text-sm font-medium text-slate-800">
            Custom fields
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
            One per line as <code>key: value</code>, e.g. <code>city: Lisbon</code>. Use them in messages as {"{{city}}"}.
          </p>
          {errors.fields.fields && <p className="text-sm text-red-700">{errors.fields.fields}</p>}
        </div>
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" busy={mutation.isPending}>
            {contact ? "Save" : "Add contact"}
          </Button>
        </div>
      </form>
    </Modal>
  );
}
