// Least privilege in the data store (docs/security.md): each write service owns its database;
// projections owns its base database (the pointer to the live read models) and the two
// databases it rebuilds into in turn (`crm projections rebuild crm_projections_blue`, then
// `..._green`), and nothing of the write side. MongoDB grants by exact database name, so the
// blue/green names are fixed here.
const admin = db.getSiblingDB("admin");
for (const service of ["contacts", "sales", "campaigns", "support"]) {
  admin.createUser({
    user: `crm-${service}`,
    pwd: process.env[`${service.toUpperCase()}_MONGO_PASSWORD`],
    roles: [{ role: "readWrite", db: `crm_${service}` }],
  });
}
const readModels = ["crm_projections", "crm_projections_blue", "crm_projections_green"];
admin.createUser({
  user: "crm-projections",
  pwd: process.env.PROJECTIONS_MONGO_PASSWORD,
  roles: readModels.flatMap((name) => [
    { role: "readWrite", db: name },
    { role: "dbAdmin", db: name },
  ]),
});
