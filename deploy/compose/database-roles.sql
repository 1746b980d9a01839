-- The stack's two database roles (docs/operations.md, "Database roles"): migrations run as the
-- database's owner (compose.yaml's POSTGRES_USER, portal), the app servers as portal_app, a
-- role that owns nothing and, once migrate has run `manage.py database_app_role_grant`, may
-- only read and add audit events. Run by compose.yaml's database-roles step at every start:
-- the role is made if missing and its password set from DATABASE_APP_PASSWORD.
\getenv app_password DATABASE_APP_PASSWORD
SELECT 'CREATE ROLE portal_app'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'portal_app') \gexec
ALTER ROLE portal_app WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION
    PASSWORD :'app_password';
