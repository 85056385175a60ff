import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate } from "react-router";
import { Alert, Button, TextField } from "../../components/ui";
import { useAuth } from "../../lib/auth";
import { formErrors } from "../../lib/forms";
import { AuthLayout } from "./AuthLayout";
import { useI18n } from "../../i18n";

export function LoginPage() {
  const { signIn } = useAuth();
  const { t } = useI18n();
  const navigate = useNavigate();
  const location = useLocation();
  const params = new URLSearchParams(location.search);
  const next = safeNext(params.get("next"));
  const [email, setEmail] = useState(params.get("email") ?? "");
  const [password, setPassword] = useState("");
  const login = useMutation({
    mutationFn: () => signIn(email.trim(), password),
    onSuccess: () => navigate(next, { replace: true }),
  });
  const errors = formErrors(login.error, ["email", "password"]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate();
  };

  return (
    <AuthLayout
      title={t("auth.signIn")}
      footer={
        <>
          {t("auth.new")} <Link className="font-medium text-brand-700 underline" to="/auth/register">{t("auth.createAccount")}</Link>
        </>
      }
    >
      {params.get("registered") && (
        <div className="mb-4">
          <Alert tone="info">
            {t("auth.registered")}{" "}
            <Link className="font-medium underline" to="/auth/forgot">
              {t("auth.registered.reset")}
            </Link>
            .
          </Alert>
        </div>
      )}
      {params.get("reset") && (
        <div className="mb-4">
          <Alert tone="success">{t("auth.passwordChanged")}</Alert>
        </div>
      )}
      <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
        {errors.form && <Alert>{errors.form}</Alert>}
        <TextField label={t("auth.email")} type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} error={errors.fields.email} />
        <TextField label={t("auth.password")} type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} error={errors.fields.password} />
        <Button type="submit" busy={login.isPending}>
          {t("auth.signIn")}
        </Button>
        <Link to="/auth/forgot" className="text-sm text-brand-700 underline">
          {t("auth.forgot")}
        </Link>
      </form>
    </AuthLayout>
  );
}

/** Only paths inside the app, so ?next= cannot send you elsewhere. */
export function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/auth/") ? next : "/dashboard";
}
