package signin_test

import (
	"log"
	"net/http"

	"github.com/docflow/docflow/internal/signin"
	"github.com/docflow/docflow/internal/workflow"
)

// A server that keeps its own sessions signs users in with Begin and
// Finish and stores the identity Finish returns.
func ExampleProvider_Finish() {
	claims, err := signin.ParseClaims("roles=groups role-prefix=docflow-")
	if err != nil {
		log.Fatal(err)
	}
	idp, err := signin.New(signin.Config{
		Issuer:      "https://sso.example.gov.cn/realms/jingan",
		ClientID:    "docflow-web",
		RedirectURL: "https://docflow.jingan.gov.cn/auth/callback",
		Claims:      claims,
	})
	if err != nil {
		log.Fatal(err)
	}
	sessions := map[string]workflow.Identity{} // the server's own store
	mux := http.NewServeMux()
	mux.HandleFunc("GET /auth/login", func(w http.ResponseWriter, r *http.Request) {
		if err := idp.Begin(w, r, r.URL.Query().Get("next")); err != nil {
			e := err.(*signin.Error)
			http.Error(w, e.Message, e.Status)
		}
	})
	mux.HandleFunc("GET /auth/callback", func(w http.ResponseWriter, r *http.Request) {
		res, err := idp.Finish(w, r)
		if err != nil {
			e := err.(*signin.Error)
			http.Error(w, e.Message, e.Status)
			return
		}
		sid := "a random session ID"
		sessions[sid] = res.Identity // with res.Expiry, and res.IDToken for SignOutURL
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: sid, Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, res.Next, http.StatusSeeOther)
	})
}
