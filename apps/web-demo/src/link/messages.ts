import type { LinkRefusalCode, PrimaryCriterion } from "./link-types.ts";

/**
 * Every string of the linking page, in each language it speaks. The language is the first of the browser's
 * (`navigator.languages`) that is here, by its primary subtag (`fr-CA` → `fr`); English otherwise. What comes from
 * elsewhere is shown as it comes, marked `lang="en"`: core's plan warnings and blockers, the server's detail.
 */
export interface Messages {
  lang: string;
  title: string;
  loading: string;
  refusedHeading: string;
  refusedHint: string;
  detail: string;
  chooseHeading: string;
  signedInAs: (who: string) => string;
  found: (count: number) => string;
  candidatesLegend: string;
  account: (email: string, provider: string, connection: string) => string;
  primaryCurrent: string;
  primaryCandidate: string;
  why: (reason: string) => string;
  criteria: Record<PrimaryCriterion, string>;
  identitiesAfter: string;
  discarded: (userId: string) => string;
  none: string;
  warnings: string;
  blocked: string;
  merge: (keys: string) => string;
  prove: (email: string) => string;
  proveHint: string;
  notMine: string;
  skip: string;
  busyProving: string;
  busyLinking: string;
  busyAnswering: string;
  proofRefused: string;
  signInFailed: string;
  tryAgain: string;
  done: { linked: string; skipped: string; not_mine: string };
  linkedInto: (primary: string) => string;
  returning: string;
  continue: string;
  refusals: Record<LinkRefusalCode, string>;
  unexpected: string;
}

const en: Messages = {
  lang: "en",
  title: "Link your accounts",
  loading: "Checking this sign-in…",
  refusedHeading: "This linking page cannot be used",
  refusedHint: "Go back to the application and sign in again.",
  detail: "Details",
  chooseHeading: "Link your accounts?",
  signedInAs: (who) => `You are signing in as ${who}.`,
  found: (count) =>
    count === 1
      ? "Another account uses the same verified email address. If it is yours, link the two: then either login opens one account."
      : `${count} other accounts use the same verified email address. If one is yours, link it: then either login opens one account.`,
  candidatesLegend: "Which account is yours?",
  account: (email, provider, connection) => `${email} — ${provider} (${connection})`,
  primaryCurrent: "This login's account stays the primary; the other one becomes one of its identities.",
  primaryCandidate: "That account stays the primary; this login becomes one of its identities.",
  why: (reason) => `Why: ${reason}.`,
  criteria: {
    already_primary: "it already holds linked identities",
    database: "it has a database (password) identity",
    oldest: "it is the older account",
    most_logins: "it has been used more often",
    latest_login: "it was used last",
    user_id: "a tie on every rule, broken by the user id",
    kept_existing: "the existing account is kept",
  },
  identitiesAfter: "Identities after linking",
  discarded: (userId) => `Data Auth0 discards from ${userId}`,
  none: "none",
  warnings: "Before you link",
  blocked: "This account cannot be linked",
  merge: (keys) =>
    `Copy ${keys} from the other account's user_metadata onto the primary first (the primary's own values win)`,
  prove: (email) => `Sign in to ${email} to link it`,
  proveHint: "A new sign-in to that account proves it is yours. Nothing is linked before it succeeds.",
  notMine: "None of these accounts are mine",
  skip: "Skip for now",
  busyProving: "Waiting for the sign-in…",
  busyLinking: "Linking…",
  busyAnswering: "Sending your answer…",
  proofRefused: "Nothing was linked",
  signInFailed: "The sign-in did not complete.",
  tryAgain: "You can sign in again to the account you chose, or choose another answer.",
  done: {
    linked: "Accounts linked",
    skipped: "Skipped for now",
    not_mine: "Noted: these accounts are not yours",
  },
  linkedInto: (primary) => `Both logins now open the account ${primary}.`,
  returning: "Returning to the application…",
  continue: "Continue to the application",
  refusals: {
    not_configured: "This server is not set up to link accounts at login.",
    session_missing: "The address of this page lacks its session token.",
    session_malformed: "The session token is damaged.",
    session_signature: "The session token was changed, or signed with another secret.",
    session_expired: "The session token has expired.",
    session_issuer: "The session token comes from another Auth0 tenant.",
    session_algorithm: "The session token is signed in a way this page does not accept.",
    session_claims: "The session token does not hold what this page needs.",
    session_continue_uri: "The session token would send your answer to another address than the tenant's.",
    state_invalid: "The address of this page lacks a valid state.",
    already_answered: "This login already has its answer.",
    candidate_unknown: "That account is not one of those offered.",
    skip_not_allowed: "Skipping is not offered for this login.",
    proof_malformed: "The sign-in answered an unreadable ID token.",
    proof_signature: "The sign-in's ID token is not signed by the tenant.",
    proof_issuer: "The sign-in's ID token comes from another tenant.",
    proof_audience: "The sign-in's ID token is for another application.",
    proof_expired: "The sign-in's ID token has expired.",
    proof_subject: "You signed in to another account than the one you chose.",
    proof_stale: "The sign-in is not recent enough.",
    plan_blocked: "These accounts cannot be linked.",
    request_invalid: "The page sent a request the server does not accept.",
    tenant_error: "The tenant did not answer as expected.",
  },
  unexpected: "Something went wrong.",
};

const fr: Messages = {
  lang: "fr",
  title: "Relier vos comptes",
  loading: "Vérification de cette connexion…",
  refusedHeading: "Cette page de liaison ne peut pas être utilisée",
  refusedHint: "Revenez à l'application et connectez-vous à nouveau.",
  detail: "Détails",
  chooseHeading: "Relier vos comptes ?",
  signedInAs: (who) => `Vous vous connectez en tant que ${who}.`,
  found: (count) =>
    count === 1
      ? "Un autre compte utilise la même adresse e-mail vérifiée. S'il est à vous, reliez-les : chacune des deux connexions ouvrira alors un seul compte."
      : `${count} autres comptes utilisent la même adresse e-mail vérifiée. Si l'un d'eux est à vous, reliez-le : chacune des connexions ouvrira alors un seul compte.`,
  candidatesLegend: "Quel compte est le vôtre ?",
  account: (email, provider, connection) => `${email} — ${provider} (${connection})`,
  primaryCurrent:
    "Le compte de cette connexion reste le compte principal ; l'autre devient l'une de ses identités.",
  primaryCandidate: "Ce compte reste le compte principal ; cette connexion devient l'une de ses identités.",
  why: (reason) => `Pourquoi : ${reason}.`,
  criteria: {
    already_primary: "il possède déjà des identités reliées",
    database: "il a une identité de base de données (mot de passe)",
    oldest: "c'est le compte le plus ancien",
    most_logins: "c'est le plus utilisé",
    latest_login: "c'est le dernier utilisé",
    user_id: "égalité sur chaque règle, départagée par l'identifiant",
    kept_existing: "le compte existant est conservé",
  },
  identitiesAfter: "Identités après la liaison",
  discarded: (userId) => `Données qu'Auth0 supprime de ${userId}`,
  none: "aucune",
  warnings: "Avant de relier",
  blocked: "Ce compte ne peut pas être relié",
  merge: (keys) =>
    `Copier d'abord ${keys} du user_metadata de l'autre compte vers le compte principal (ses propres valeurs l'emportent)`,
  prove: (email) => `Se connecter à ${email} pour le relier`,
  proveHint:
    "Une nouvelle connexion à ce compte prouve qu'il est à vous. Rien n'est relié avant qu'elle ne réussisse.",
  notMine: "Aucun de ces comptes n'est à moi",
  skip: "Plus tard",
  busyProving: "En attente de la connexion…",
  busyLinking: "Liaison en cours…",
  busyAnswering: "Envoi de votre réponse…",
  proofRefused: "Rien n'a été relié",
  signInFailed: "La connexion n'a pas abouti.",
  tryAgain: "Vous pouvez vous reconnecter au compte choisi, ou donner une autre réponse.",
  done: {
    linked: "Comptes reliés",
    skipped: "Reporté à plus tard",
    not_mine: "C'est noté : ces comptes ne sont pas à vous",
  },
  linkedInto: (primary) => `Les deux connexions ouvrent désormais le compte ${primary}.`,
  returning: "Retour à l'application…",
  continue: "Continuer vers l'application",
  refusals: {
    not_configured: "Ce serveur n'est pas configuré pour relier des comptes à la connexion.",
    session_missing: "L'adresse de cette page ne contient pas de jeton de session.",
    session_malformed: "Le jeton de session est endommagé.",
    session_signature: "Le jeton de session a été modifié, ou signé avec un autre secret.",
    session_expired: "Le jeton de session a expiré.",
    session_issuer: "Le jeton de session provient d'un autre tenant Auth0.",
    session_algorithm: "Le jeton de session est signé d'une manière que cette page n'accepte pas.",
    session_claims: "Le jeton de session ne contient pas ce dont cette page a besoin.",
    session_continue_uri:
      "Le jeton de session enverrait votre réponse à une autre adresse que celle du tenant.",
    state_invalid: "L'adresse de cette page ne contient pas d'état (state) valide.",
    already_answered: "Cette connexion a déjà reçu sa réponse.",
    candidate_unknown: "Ce compte ne fait pas partie de ceux proposés.",
    skip_not_allowed: "Reporter n'est pas proposé pour cette connexion.",
    proof_malformed: "La connexion a renvoyé un jeton d'identité illisible.",
    proof_signature: "Le jeton d'identité de la connexion n'est pas signé par le tenant.",
    proof_issuer: "Le jeton d'identité de la connexion provient d'un autre tenant.",
    proof_audience: "Le jeton d'identité de la connexion est destiné à une autre application.",
    proof_expired: "Le jeton d'identité de la connexion a expiré.",
    proof_subject: "Vous vous êtes connecté à un autre compte que celui choisi.",
    proof_stale: "La connexion n'est pas assez récente.",
    plan_blocked: "Ces comptes ne peuvent pas être reliés.",
    request_invalid: "La page a envoyé une requête que le serveur n'accepte pas.",
    tenant_error: "Le tenant n'a pas répondu comme prévu.",
  },
  unexpected: "Une erreur est survenue.",
};

const de: Messages = {
  lang: "de",
  title: "Konten verknüpfen",
  loading: "Diese Anmeldung wird geprüft…",
  refusedHeading: "Diese Verknüpfungsseite kann nicht verwendet werden",
  refusedHint: "Kehren Sie zur Anwendung zurück und melden Sie sich erneut an.",
  detail: "Details",
  chooseHeading: "Konten verknüpfen?",
  signedInAs: (who) => `Sie melden sich als ${who} an.`,
  found: (count) =>
    count === 1
      ? "Ein weiteres Konto verwendet dieselbe bestätigte E-Mail-Adresse. Wenn es Ihnen gehört, verknüpfen Sie beide: Dann öffnet jede der beiden Anmeldungen dasselbe Konto."
      : `${count} weitere Konten verwenden dieselbe bestätigte E-Mail-Adresse. Wenn eines Ihnen gehört, verknüpfen Sie es: Dann öffnet jede Anmeldung dasselbe Konto.`,
  candidatesLegend: "Welches Konto gehört Ihnen?",
  account: (email, provider, connection) => `${email} — ${provider} (${connection})`,
  primaryCurrent:
    "Das Konto dieser Anmeldung bleibt das Hauptkonto; das andere wird eine seiner Identitäten.",
  primaryCandidate: "Jenes Konto bleibt das Hauptkonto; diese Anmeldung wird eine seiner Identitäten.",
  why: (reason) => `Warum: ${reason}.`,
  criteria: {
    already_primary: "es hat bereits verknüpfte Identitäten",
    database: "es hat eine Datenbank-Identität (Passwort)",
    oldest: "es ist das ältere Konto",
    most_logins: "es wird häufiger genutzt",
    latest_login: "es wurde zuletzt genutzt",
    user_id: "Gleichstand bei jeder Regel, entschieden durch die Benutzer-ID",
    kept_existing: "das bestehende Konto bleibt",
  },
  identitiesAfter: "Identitäten nach der Verknüpfung",
  discarded: (userId) => `Daten, die Auth0 von ${userId} verwirft`,
  none: "keine",
  warnings: "Vor dem Verknüpfen",
  blocked: "Dieses Konto kann nicht verknüpft werden",
  merge: (keys) =>
    `Zuerst ${keys} aus den user_metadata des anderen Kontos in das Hauptkonto kopieren (dessen eigene Werte haben Vorrang)`,
  prove: (email) => `Bei ${email} anmelden, um es zu verknüpfen`,
  proveHint:
    "Eine neue Anmeldung bei diesem Konto beweist, dass es Ihnen gehört. Vorher wird nichts verknüpft.",
  notMine: "Keines dieser Konten gehört mir",
  skip: "Später",
  busyProving: "Warten auf die Anmeldung…",
  busyLinking: "Wird verknüpft…",
  busyAnswering: "Ihre Antwort wird gesendet…",
  proofRefused: "Es wurde nichts verknüpft",
  signInFailed: "Die Anmeldung wurde nicht abgeschlossen.",
  tryAgain: "Sie können sich erneut beim gewählten Konto anmelden oder eine andere Antwort geben.",
  done: {
    linked: "Konten verknüpft",
    skipped: "Auf später verschoben",
    not_mine: "Vermerkt: Diese Konten gehören Ihnen nicht",
  },
  linkedInto: (primary) => `Beide Anmeldungen öffnen jetzt das Konto ${primary}.`,
  returning: "Zurück zur Anwendung…",
  continue: "Weiter zur Anwendung",
  refusals: {
    not_configured: "Dieser Server ist nicht für das Verknüpfen bei der Anmeldung eingerichtet.",
    session_missing: "Der Adresse dieser Seite fehlt das Sitzungstoken.",
    session_malformed: "Das Sitzungstoken ist beschädigt.",
    session_signature: "Das Sitzungstoken wurde verändert oder mit einem anderen Geheimnis signiert.",
    session_expired: "Das Sitzungstoken ist abgelaufen.",
    session_issuer: "Das Sitzungstoken stammt von einem anderen Auth0-Tenant.",
    session_algorithm: "Das Sitzungstoken ist auf eine Weise signiert, die diese Seite nicht annimmt.",
    session_claims: "Das Sitzungstoken enthält nicht, was diese Seite braucht.",
    session_continue_uri:
      "Das Sitzungstoken würde Ihre Antwort an eine andere Adresse als die des Tenants senden.",
    state_invalid: "Der Adresse dieser Seite fehlt ein gültiger state.",
    already_answered: "Diese Anmeldung hat ihre Antwort bereits erhalten.",
    candidate_unknown: "Dieses Konto gehört nicht zu den angebotenen.",
    skip_not_allowed: "Verschieben ist für diese Anmeldung nicht vorgesehen.",
    proof_malformed: "Die Anmeldung lieferte ein unlesbares ID-Token.",
    proof_signature: "Das ID-Token der Anmeldung ist nicht vom Tenant signiert.",
    proof_issuer: "Das ID-Token der Anmeldung stammt von einem anderen Tenant.",
    proof_audience: "Das ID-Token der Anmeldung ist für eine andere Anwendung bestimmt.",
    proof_expired: "Das ID-Token der Anmeldung ist abgelaufen.",
    proof_subject: "Sie haben sich bei einem anderen als dem gewählten Konto angemeldet.",
    proof_stale: "Die Anmeldung ist nicht aktuell genug.",
    plan_blocked: "Diese Konten können nicht verknüpft werden.",
    request_invalid: "Die Seite hat eine Anfrage gesendet, die der Server nicht annimmt.",
    tenant_error: "Der Tenant hat nicht wie erwartet geantwortet.",
  },
  unexpected: "Etwas ist schiefgelaufen.",
};

export const dictionaries: Readonly<Record<string, Messages>> = { en, fr, de };

/** The messages of the first of `languages` the page speaks (by primary subtag), else English. */
export function messagesFor(languages: readonly string[]): Messages {
  for (const tag of languages) {
    const found = dictionaries[tag.toLowerCase().split("-")[0] ?? ""];
    if (found) return found;
  }
  return en;
}
