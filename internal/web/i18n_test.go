package web_test

import (
	"strings"
	"testing"

	"github.com/providerportal/portal/internal/twostep"
)

func TestSpanishPages(t *testing.T) {
	each(t, opts{}, func(t *testing.T, p *portal) {
		p.beta(true)
		p.user("jdoe", twostep.RoleProvider)
		c := p.client()
		es := c.do("GET", "/login", nil, "Accept", "text/html", "Accept-Language", "es-MX,es;q=0.9,en;q=0.5")
		contains(t, es, `<html lang="es">`, ">Iniciar sesión</button>", "Nombre de usuario", `hreflang="en"`)
		en := c.do("GET", "/login", nil, "Accept", "text/html", "Accept-Language", "fr-FR,en;q=0.5")
		contains(t, en, `<html lang="en">`, ">Sign in</button>", `hreflang="es"`)
		// The switch remembers the choice over the browser's.
		redirectsTo(t, c.page("/lang?to=es&next=/login"), "/login")
		contains(t, c.page("/login"), "Iniciar sesión")
		// Issue 10, finding 3: browsers strip tabs and newlines and read a
		// backslash as a slash, so these would leave the site.
		for _, next := range []string{"//evil.example", "/%09/evil.example/x", "/%0a/evil.example", "/%5Cevil.example", "https://evil.example/", "/%5C%5Cevil"} {
			redirectsTo(t, c.page("/lang?to=es&next="+next), "/")
		}
		a := c.form("/login", "username", "jdoe", "password", "wrong password here")
		contains(t, a, "El nombre de usuario o la contraseña no son correctos.")
		c.form("/login", "username", "jdoe", "password", pw)
		c.form("/account/two-step/on")
		c.form("/account/methods/email/add", "email", "j@example.net", "confirm_email", "j@example.net")
		page := c.page("/account/methods/email/add?step=code")
		contains(t, page, "Enviamos un código a j@<wbr>example.<wbr>net.", "Sirve durante 10 minutos.", "disponible en 1 minuto")
		contains(t, c.form("/account/methods/email/resend"), "Puede pedir un código nuevo en 1 minuto.")
		a = c.form("/account/methods/email/verify", "code", "000000")
		contains(t, a, "Ese código no es correcto. Le quedan 4 intentos.")
		if strings.Contains(string(c.page("/account").raw), "Turn on") {
			t.Fatal("English left on a Spanish page")
		}
	})
}
