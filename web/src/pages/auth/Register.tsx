import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { register as registerAccount } from "../../api/authApi";
import { Alert, Button, TextField } from "../../components/ui";
import { useAuth } from "../../lib/auth";
import { formErrors } from "../../lib/forms";
import { AuthLayout } from "./AuthLayout";
import { useI18n } from "../../i18n";

export function RegisterPage() {
  const navigate = useNavigate();
  const { signIn } = useAuth();
  const { t } = useI18n();
  const [form, setForm] = useState({ name: "", email: "", password: "" });
  const register = useMutation({
    mutationFn: async () => {
      const body = { name: form.name.trim(), email: form.email.trim(), password: form.password };
      await registerAccount(body);
      return body;
    },
    onSuccess: async (body) => {
      // The answer is the same whether or not the address already had an account (so
      // it cannot be used to find out): try to sign in; if that fails, the address was
      // taken and its owner got an email, which the sign-in page explains.
      try {
        await signIn(body.email, body.password);
        navigate("/dashboard", { replace: true });
      } catch {
        navigate(`/auth/login?registered=1&email=${encodeURIComponent(body.email)}`, { replace: true });
      }
    },
  });
  const errors = formErrors(register.error, ["name", "email", "password"]);
  const set = (key: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [key]: e.target.value });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    register.mutate();
  };

  return (
    <AuthLayout
      title={t("auth.register.title")}
      footer={
        <>
          {t("auth.haveAccount")} <Link className="font-medium text-brand-700 underline" to="/auth/login">{t("auth.signIn")}</Link>
        </>
      }
    >
      <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
        {errors.form && <Alert>{errors.form}</Alert>}
        <TextField label={t("auth.name")} autoComplete="name" required maxLength={100} value={form.name} onChange={set("name")} error={errors.fields.name} />
        <TextField label={t("auth.email")} type="email" autoComplete="email" required value={form.email} onChange={set("email")} error={errors.fields.email} />
        <TextField
          label={t("auth.password")}
          type="password"
          autoComplete="new-password"
          required
          value={form.password}
          onChange={set("password")}
          error={errors.fields.password}
          hint={t("auth.password.hint")}
        />
        <Button type="submit" busy={register.isPending}>
          {t("auth.createAccount.button")}
        </Button>
      </form>
    </AuthLayout>
  );
}
