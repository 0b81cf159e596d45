package twostep

import "strings"

// BrowserParts reads the browser and system from a user agent ("Chrome",
// "Linux"); either is "" when not recognised. Security notices say only this,
// never the raw header, which whoever made the request controls.
func BrowserParts(ua string) (browser, system string) {
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"}, {"curl/", "curl"}, {"Go-http-client", "Go"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	for _, o := range []struct{ token, name string }{
		{"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Android", "Android"}, {"Windows", "Windows"}, {"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, o.token) {
			return browser, o.name
		}
	}
	return browser, ""
}

// DescribeBrowser says "Chrome on Windows", "Firefox", or "" for an unknown browser.
func DescribeBrowser(ua string) string {
	b, system := BrowserParts(ua)
	switch {
	case b == "":
		return ""
	case system == "":
		return b
	}
	return b + " on " + system
}
