"""The accounts app's pages, one module for each concern: signing in with NHS login
(``sign_in``), the pages a sign-in that did not work ends on (``problems``), the session's
limits and signing out (``session``), and the signed-in patient's own pages (``pages``)."""
