package twostep

// messagesES are the Spanish words of every email and text message, with the
// keys of messagesEN. Text messages keep to one segment: Spanish needs
// characters outside GSM-7 (ó), so they stay within 70 characters.
var messagesES = map[string]string{
	"dur.second": "1 segundo", "dur.seconds": "%d segundos", "dur.minute": "1 minuto", "dur.minutes": "%d minutos", "dur.hour": "1 hora", "dur.hours": "%d horas",
	"dur.day": "1 día", "dur.days": "%d días",

	"msg.method.totp": "app de autenticación", "msg.method.phone": "teléfono móvil", "msg.method.email": "correo electrónico", "msg.method.recovery": "código de recuperación", "msg.method.passkey": "llave de acceso",
	"msg.role.provider": "proveedor", "msg.role.admin": "administrador del centro",
	"msg.time": "02/01/2006 15:04 MST", "msg.unknown": "desconocido", "msg.browser.on": "%s en %s",

	"msg.code.sms":        "%[1]s: código %[2]s. Vence en %[3]s. No lo comparta.",
	"msg.code.sms.medium": "%[1]s: código %[2]s. Vence en %[3]s.",
	"msg.code.sms.short":  "%[1]s: código %[2]s",
	"msg.code.subject":    "Código de verificación de %s",
	"msg.code.body": "Su código de verificación de %s es:\n\n%s\n\nSirve durante %s. Si no lo pidió, alguien puede conocer su contraseña: cámbiela y avise a su administrador.\n\n" +
		"No comparta este código con nadie.",

	"msg.notice.subject": "%s: %s",
	"msg.notice.body": "Hola, %s:\n\n%s\n\nCuándo: %s\nDesde la dirección: %s\nNavegador: %s\n\n" +
		"Si no fue usted, inicie sesión y cambie su contraseña, o avise al administrador de su centro.\n\n— %s",
	"msg.notice.two_step_off.subject":     "se desactivó la verificación en 2 pasos",
	"msg.notice.two_step_off.body":        "Se desactivó la verificación en 2 pasos de su cuenta y se eliminaron todos sus métodos verificados.",
	"msg.notice.method_added.subject":     "se agregó un método verificado",
	"msg.notice.method_added.body":        "Se agregó un método verificado (%s: %s) a su cuenta para la verificación en 2 pasos.",
	"msg.notice.method_deleted.subject":   "se eliminó un método verificado",
	"msg.notice.method_deleted.body":      "Se eliminó un método verificado (%s: %s) de su cuenta.",
	"msg.notice.recovery_codes.subject":   "códigos de recuperación nuevos",
	"msg.notice.recovery_codes.body":      "Se crearon códigos de recuperación nuevos para su cuenta. Los anteriores ya no funcionan.",
	"msg.notice.recovery_used.subject":    "se usó un código de recuperación",
	"msg.notice.recovery_used.body":       "Se usó un código de recuperación para iniciar sesión en su cuenta. Quedan %d códigos de recuperación.",
	"msg.notice.locked.subject":           "inicio de sesión en pausa por códigos incorrectos",
	"msg.notice.locked.body":              "Después de %d códigos incorrectos, el inicio de sesión en su cuenta queda en pausa durante %s. Si no fue usted, cambie su contraseña.",
	"msg.notice.two_step_reset.subject":   "se restableció su verificación en 2 pasos",
	"msg.notice.two_step_reset.body":      "Un administrador (%s) restableció la verificación en 2 pasos de su cuenta. Se eliminaron sus métodos verificados y sus códigos de recuperación; configure un método verificado en su próximo inicio de sesión.",
	"msg.notice.password_changed.subject": "se cambió su contraseña",
	"msg.notice.password_changed.body":    "Se cambió la contraseña de su cuenta.",
	"msg.notice.password_reset.subject":   "se restableció su contraseña",
	"msg.notice.password_reset.body":      "Se restableció la contraseña de su cuenta con un enlace que le enviamos por correo. Se cerraron todas sus sesiones, y todos los navegadores de confianza deberán pasar de nuevo el segundo paso.",
	"msg.notice.passkey_added.subject":    "se agregó una llave de acceso",
	"msg.notice.passkey_added.body":       "Se agregó una llave de acceso («%s») a su cuenta. Le permite iniciar sesión con su huella, su cara o el bloqueo de pantalla.",
	"msg.notice.passkey_deleted.subject":  "se eliminó una llave de acceso",
	"msg.notice.passkey_deleted.body":     "Se eliminó una llave de acceso («%s») de su cuenta. Ya no sirve para iniciar sesión.",
	"msg.notice.passkey_refused.subject":  "se rechazó una llave de acceso",
	"msg.notice.passkey_refused.body":     "Su llave de acceso «%s» respondió con un contador de firmas menor que antes, lo que ocurre cuando una llave de acceso se copió a otro dispositivo. Se rechazó. Si no acaba de restaurar ese dispositivo desde una copia de seguridad, elimine la llave de acceso y avise a su administrador.",

	"msg.reset.subject": "%s: elija una contraseña nueva",
	"msg.reset.body": "Hola, %[1]s:\n\nAlguien, esperamos que usted, pidió restablecer la contraseña de su cuenta de %[2]s (%[1]s). Para elegir una contraseña nueva, abra este enlace:\n\n%[3]s\n\n" +
		"Sirve una sola vez, durante %[4]s. Si tiene activada la verificación en 2 pasos, primero confirmará que es usted con su segundo paso.\n\n" +
		"Si no lo pidió, ignore este correo: su contraseña no cambia.\n\n— %[2]s",
	"msg.reset.button": "Elegir una contraseña nueva",

	"msg.invite.subject": "%s: tiene una invitación",
	"msg.invite.body": "Hola, %[1]s:\n\n%[2]s le invitó a %[3]s como %[4]s de %[5]s. Su nombre de usuario es %[1]s. Para elegir su contraseña y empezar a usar su cuenta, abra este enlace:\n\n%[6]s\n\n" +
		"Sirve una sola vez, durante %[7]s.\n\nSi no esperaba esta invitación, ignore este correo.\n\n— %[3]s",
	"msg.invite.button": "Elegir su contraseña",
}
