// The key store's users (docs/security.md). Every service seals or unseals personal data, so
// each reads and writes the per-customer keys; the revocation list is only read by the
// services (one that could write it could un-revoke a token for all five) and written by the
// operator who revokes (`crm token revoke` with CRM_VAULT_MONGO_URL set to the `crm-revoker`).
const admin = db.getSiblingDB("admin");
const vault = "crm_vault";
admin.createRole({
  role: "crmKeyUser",
  privileges: [
    { resource: { db: vault, collection: "customer_keys" },
      actions: ["find", "insert", "update", "remove", "createIndex"] },
    { resource: { db: vault, collection: "revoked_tokens" }, actions: ["find"] },
  ],
  roles: [],
});
admin.createRole({
  role: "crmRevoker",
  privileges: [
    { resource: { db: vault, collection: "revoked_tokens" },
      actions: ["find", "insert", "update", "remove", "createIndex"] },
  ],
  roles: [],
});
for (const service of ["contacts", "sales", "campaigns", "support", "projections"]) {
  admin.createUser({
    user: `crm-${service}`,
    pwd: process.env[`${service.toUpperCase()}_VAULT_PASSWORD`],
    roles: [{ role: "crmKeyUser", db: "admin" }],
  });
}
admin.createUser({
  user: "crm-revoker",
  pwd: process.env.REVOKER_VAULT_PASSWORD,
  roles: [{ role: "crmRevoker", db: "admin" }],
});
