package web

// The words of a provider's own 2-Step pages (My Account, adding a method,
// recovery codes, the grace notice), kept beside the main catalogues so each
// page family has its own file. catalogEN and catalogES include them (merged).
var accountEN = catalog{
	// Method names inside a sentence ("Your mobile phone number is verified").
	"method.lower.totp": "authenticator app", "method.lower.phone": "mobile phone number", "method.lower.email": "email address",
	"method.lower.recovery": "recovery code", "method.lower.passkey": "passkey",

	// R4: on, but no verified method yet, protects nothing.
	"account.notset":      "2-Step Verification is not set up yet.",
	"account.notset.more": "Add a method below with +. Until one is verified, signing in asks only for your password.",
	"account.hint.turnon": "To set it up, select Turn on 2-Step Verification, then add a method with +. It takes about 2 minutes.",
	"account.hint.add":    "Now add a verified method with +. Until one is verified, signing in asks only for your password. It takes about 2 minutes.",
	"flash.saved":         "2-Step Verification is on. Keep your recovery codes somewhere safe.",

	// R14, the same sentence on the notice and on My Account.
	"notice.required":  "Your center requires 2-Step Verification.",
	"notice.skip.one":  "You can skip this %d more time; after that you'll need to set it up to sign in (about 2 minutes).",
	"notice.skip.many": "You can skip this %d more times; after that you'll need to set it up to sign in (about 2 minutes).",
	"notice.skip.zero": "You can't skip this again: at your next sign-in you'll need to set it up (about 2 minutes).",

	// Authenticator app on the phone itself.
	"add.open.hint": "Setting this up on the phone that has the app? Open the key in it directly:",
	"add.open":      "Open in authenticator app", "add.copy": "Copy key", "add.copied": "Copied",
	"add.spam": "Not in your inbox after a minute? Check your spam or junk folder.",

	// Recovery codes (B1): first set, or a set that replaces earlier ones.
	"recovery.first.title":   "Get recovery codes",
	"recovery.first.explain": "You will get 10 recovery codes, each good for one sign-in if you lose your phone. Enter your password to continue.",
	"recovery.first.heading": "Save your recovery codes",
	"recovery.first.intro":   "If you lose your phone, a recovery code signs you in instead. Save these 10 codes now: they are shown only once.",
	"recovery.keep.new":      "These new codes replace your earlier ones, which no longer work. Keep them somewhere safe, such as a password manager or a printed page. They are shown only now.",
	"recovery.copy":          "Copy codes", "recovery.copied": "Copied", "recovery.download": "Download (.txt)", "recovery.print": "Print",
	"recovery.filename": "recovery-codes.txt",
	"recovery.file":     "Recovery codes for %s at %s. Each works once.",
	"recovery.saved":    "I have saved these codes somewhere safe",

	// Show-password toggle (added by app.js where scripts run).
	"password.show": "Show", "password.show.label": "Show password",
}

var accountES = catalog{
	"method.lower.totp": "app de autenticación", "method.lower.phone": "número de teléfono móvil", "method.lower.email": "correo electrónico",
	"method.lower.recovery": "código de recuperación", "method.lower.passkey": "llave de acceso",

	"account.notset":      "La verificación en 2 pasos todavía no está configurada.",
	"account.notset.more": "Agregue un método abajo con +. Hasta que verifique uno, al iniciar sesión solo se pide su contraseña.",
	"account.hint.turnon": "Para configurarla, seleccione Activar la verificación en 2 pasos y luego agregue un método con +. Lleva unos 2 minutos.",
	"account.hint.add":    "Ahora agregue un método verificado con +. Hasta que verifique uno, al iniciar sesión solo se pide su contraseña. Lleva unos 2 minutos.",
	"flash.saved":         "La verificación en 2 pasos está activada. Guarde sus códigos de recuperación en un lugar seguro.",

	"notice.required":  "Su centro exige la verificación en 2 pasos.",
	"notice.skip.one":  "Puede omitirla %d vez más; después tendrá que configurarla para iniciar sesión (unos 2 minutos).",
	"notice.skip.many": "Puede omitirla %d veces más; después tendrá que configurarla para iniciar sesión (unos 2 minutos).",
	"notice.skip.zero": "No podrá omitirla otra vez: en su próximo inicio de sesión tendrá que configurarla (unos 2 minutos).",

	"add.open.hint": "¿La está configurando en el teléfono que tiene la app? Abra la clave directamente en ella:",
	"add.open":      "Abrir en la app de autenticación", "add.copy": "Copiar la clave", "add.copied": "Copiada",
	"add.spam": "¿No está en su bandeja de entrada después de un minuto? Revise la carpeta de correo no deseado.",

	"recovery.first.title":   "Obtener códigos de recuperación",
	"recovery.first.explain": "Recibirá 10 códigos de recuperación; cada uno sirve para un inicio de sesión si pierde su teléfono. Escriba su contraseña para continuar.",
	"recovery.first.heading": "Guarde sus códigos de recuperación",
	"recovery.first.intro":   "Si pierde su teléfono, un código de recuperación le permite iniciar sesión. Guarde estos 10 códigos ahora: solo se muestran una vez.",
	"recovery.keep.new":      "Estos códigos nuevos reemplazan a los anteriores, que ya no funcionan. Guárdelos en un lugar seguro, como un gestor de contraseñas o una hoja impresa. Solo se muestran ahora.",
	"recovery.copy":          "Copiar los códigos", "recovery.copied": "Copiados", "recovery.download": "Descargar (.txt)", "recovery.print": "Imprimir",
	"recovery.filename": "codigos-de-recuperacion.txt",
	"recovery.file":     "Códigos de recuperación de %s en %s. Cada uno funciona una vez.",
	"recovery.saved":    "Guardé estos códigos en un lugar seguro",

	"password.show": "Mostrar", "password.show.label": "Mostrar la contraseña",
}

// merged is a catalogue with the words of a page family added to it.
func merged(base catalog, more catalog) catalog {
	for k, v := range more {
		base[k] = v
	}
	return base
}
