// The key store's users (docs/security.md): every service seals or unseals personal data, so
// each reads and writes the vault database, and nothing else lives in this store.
const admin = db.getSiblingDB("admin");
for (const service of ["contacts", "sales", "campaigns", "support", "projections"]) {
  admin.createUser({
    user: `crm-${service}`,
    pwd: process.env[`${service.toUpperCase()}_VAULT_PASSWORD`],
    roles: [{ role: "readWrite", db: "crm_vault" }],
  });
}
