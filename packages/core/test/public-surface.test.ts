// Every name each entry exports is public API. This list is the surface: a name added or removed changes it here, in
// review, on purpose (the MCP TypeScript SDK guards its server package the same way).
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

const src = resolve(dirname(fileURLToPath(import.meta.url)), "../src");

/** The names an entry file exports, values and types apart, read from its `export { … }` lists. */
function declared(entry: string) {
  const text = readFileSync(resolve(src, entry), "utf8");
  const names = [...text.matchAll(/export (type )?\{([^}]*)\}/g)].flatMap(([, allTypes, list = ""]) =>
    list
      .split(",")
      .map((name) => name.trim())
      .filter(Boolean)
      .map((name) => (allTypes ? `type ${name}` : name)),
  );
  const values = names.filter((n) => !n.startsWith("type ")).sort();
  const types = names
    .filter((n) => n.startsWith("type "))
    .map((n) => n.slice(5))
    .sort();
  return { values, types };
}

const surfaces = {
  "index.ts": {
    values: [
      "BlockedPlanError",
      "IdlinkError",
      "ManagementApiError",
      "NetworkError",
      "OutcomeUnknownError",
      "ValidationError",
      "checkLink",
      "createManagementClient",
      "describeError",
      "describeRequest",
      "echo",
      "ensureLinked",
      "executeLink",
      "executeUnlink",
      "findLinkCandidates",
      "findOwner",
      "formatDebugEvent",
      "fullUserId",
      "holdsIdentity",
      "holdsLinked",
      "identityQuery",
      "linkPath",
      "maxIdLength",
      "mergeMetadata",
      "parseLinkArguments",
      "parseLinkRequest",
      "parseTenantDomain",
      "parseUnlinkArguments",
      "parseUserId",
      "pathTemplate",
      "planLink",
      "planUnlink",
      "preflightLink",
      "preflightUnlink",
      "prepareLink",
      "prepareUnlink",
      "previewLink",
      "previewUnlink",
      "providers",
      "readAccount",
      "redact",
      "redactText",
      "searchPhrase",
      "summarizeAccount",
      "summarizeIdentity",
      "toCurl",
      "toFetch",
      "unlinkPath",
    ],
    types: [
      "AccountSummary",
      "ApiClient",
      "ApiResult",
      "CallerToken",
      "DebugCall",
      "DebugEvent",
      "DebugSink",
      "EmailVerificationPolicy",
      "ErrorDescription",
      "FetchLike",
      "IdentityLinkRequest",
      "IdentityOwner",
      "IdentitySummary",
      "Issue",
      "LinkArguments",
      "LinkBody",
      "LinkCandidates",
      "LinkCheck",
      "LinkOutcome",
      "LinkPlan",
      "LinkRequest",
      "LinkTarget",
      "LinkUserIdentityRequestContent",
      "ManagementClient",
      "ManagementClientOptions",
      "Metadata",
      "Operation",
      "Parsed",
      "PlanOptions",
      "PreflightResult",
      "PreviewRequest",
      "Provider",
      "RateLimitState",
      "RetryOptions",
      "SecondaryId",
      "Subject",
      "TenantDomain",
      "TokenContext",
      "TokenLinkRequest",
      "UnlinkArguments",
      "UnlinkPlan",
      "UnlinkTarget",
      "User",
      "UserIdentity",
      "UserIdentitySchema",
      "UserPage",
      "UserSearch",
    ],
  },
  "browser.ts": {
    values: [
      "BlockedPlanError",
      "IdlinkError",
      "ManagementApiError",
      "NetworkError",
      "OutcomeUnknownError",
      "ValidationError",
      "createManagementClient",
      "describeError",
      "describeRequest",
      "executeLink",
      "executeUnlink",
      "linkPath",
      "parseLinkRequest",
      "parseTenantDomain",
      "parseUserId",
      "pathTemplate",
      "preflightLink",
      "previewLink",
      "previewUnlink",
      "providers",
      "summarizeIdentity",
      "toCurl",
      "toFetch",
    ],
    types: [
      "AccountSummary",
      "ErrorDescription",
      "IdentitySummary",
      "Issue",
      "LinkBody",
      "LinkOutcome",
      "LinkPlan",
      "ManagementClient",
      "Parsed",
      "PlanOptions",
      "PreviewRequest",
      "Provider",
      "TenantDomain",
      "UnlinkPlan",
    ],
  },
  "node.ts": {
    values: [
      "applyProfile",
      "clientCredentialsToken",
      "clientSecretToken",
      "configFilePath",
      "credentialVariables",
      "getManagementToken",
      "parseTenantConfig",
      "resolveCredentials",
      "signingAlgs",
      "tokenOptions",
    ],
    types: [
      "ClientAuthentication",
      "CredentialSources",
      "Credentials",
      "ManagementTokenOptions",
      "Profile",
      "ProfileEnvironment",
      "ProfileRequest",
      "SigningAlg",
      "TenantConfig",
    ],
  },
  "export.ts": {
    values: [
      "DuplicateFinder",
      "ExportError",
      "defaultPrimaryPolicy",
      "downloadExport",
      "duplicateExportFields",
      "findTenantDuplicates",
      "getJob",
      "gunzip",
      "pairsJsonl",
      "primaryCriteria",
      "readUserExport",
      "runUsersExport",
      "startUsersExport",
    ],
    types: [
      "DuplicateGroup",
      "DuplicateOptions",
      "DuplicateReport",
      "ExportUsersJob",
      "ExportUsersRequest",
      "ExportedUser",
      "GroupAccount",
      "Job",
      "MalformedLine",
      "PrimaryCriterion",
      "ReadExportOptions",
      "RunExportOptions",
      "SkipReason",
      "SkippedGroup",
      "TenantDuplicatesOptions",
    ],
  },
  "post-login.ts": {
    values: [
      "IdlinkError",
      "ManagementApiError",
      "NetworkError",
      "ValidationError",
      "clientSecretToken",
      "createUserReader",
      "describeError",
      "findLinkCandidates",
      "fullUserId",
      "holdsLinked",
      "parseTenantDomain",
      "parseUserId",
      "redactText",
    ],
    types: [
      "AccountSummary",
      "IdentitySummary",
      "LinkCandidates",
      "SecondaryId",
      "TenantDomain",
      "User",
      "UserReader",
    ],
  },
  "actions.ts": {
    values: [
      "ActionDeployError",
      "actionScopes",
      "advisedCodeBytes",
      "describeDeployPlan",
      "describePosition",
      "executeActionDeploy",
      "executeActionRemove",
      "executeActionRollback",
      "linkActionDefaults",
      "markCode",
      "parseActionDeployInput",
      "parseBindingPosition",
      "planActionDeploy",
      "planActionRemove",
      "planActionRollback",
      "preflightActions",
      "readActionStatus",
      "readMarker",
      "shortHash",
    ],
    types: [
      "ActionCommand",
      "ActionDeployInput",
      "ActionDeployOptions",
      "ActionDeployOutcome",
      "ActionDeployPlan",
      "ActionDeployRequest",
      "ActionProgress",
      "ActionRemoveOutcome",
      "ActionRemovePlan",
      "ActionRollbackOutcome",
      "ActionRollbackPlan",
      "ActionStatus",
      "ActionStep",
      "BindingPosition",
      "BindingSummary",
      "BindingWrite",
      "CodeMarker",
      "ExecuteDeployOptions",
      "SecretDeclaration",
      "SecretSourceHint",
      "TriggerRef",
      "VersionSummary",
      "WaitOptions",
    ],
  },
  "startup.ts": {
    values: [
      "IdlinkError",
      "ValidationError",
      "echo",
      "formatDebugEvent",
      "parseTenantDomain",
      "redact",
      "redactText",
      "resolveCredentials",
    ],
    types: ["Credentials", "DebugEvent", "DebugSink", "Issue", "TenantDomain"],
  },
};

describe.each(Object.entries(surfaces))("the %s entry", (entry, surface) => {
  test("declares exactly the listed names", () => {
    expect(declared(entry)).toEqual({ values: [...surface.values].sort(), types: [...surface.types].sort() });
  });

  test("exports at run time exactly the listed values", async () => {
    const module: Record<string, unknown> = await import(resolve(src, entry));
    expect(Object.keys(module).sort()).toEqual([...surface.values].sort());
  });
});

test("the root entry keeps to at most 50 runtime names", () => {
  expect(surfaces["index.ts"].values.length).toBeLessThanOrEqual(50);
});

test("the browser entry is a part of the root's surface", () => {
  const root = new Set(surfaces["index.ts"].values);
  expect(surfaces["browser.ts"].values.filter((name) => !root.has(name))).toEqual([]);
});
