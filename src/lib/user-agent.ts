/**
 * What a person can recognise of a browser from its `User-Agent`: the
 * browser and the platform, e.g. "Firefox on Linux". Meant for showing
 * people their own devices, never for a security decision (the header is
 * whatever the client says).
 *
 * @example
 * ```ts
 * describeUserAgent(request.headers.get('user-agent')).label // 'Chrome on Android'
 * ```
 */
export interface DeviceDescription {
  /** `Firefox`, `Chrome`, `Safari`, `Edge`, `Opera`, `Samsung Internet`, …, or `Unknown browser`. */
  browser: string
  /** `Windows`, `macOS`, `iOS`, `iPadOS`, `Android`, `Linux`, `ChromeOS`, …, or `unknown platform`. */
  platform: string
  /** `${browser} on ${platform}`, or a program's name (`curl`) when it is not a browser. */
  label: string
}

// Order matters: Edge and Opera also say Chrome, Chrome also says Safari, iOS browsers say Safari.
const BROWSERS: Array<[RegExp, string]> = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOpera\b/, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\bVivaldi\//, 'Vivaldi'],
  [/\bYaBrowser\//, 'Yandex Browser'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bCriOS\/|Chrome\/|\bChromium\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\/|\b(?:iPhone|iPad);.*AppleWebKit\//, 'Safari'],
]

const PLATFORMS: Array<[RegExp, string]> = [
  [/\bAndroid\b/, 'Android'],
  [/\biPad\b/, 'iPadOS'],
  [/\biPhone\b|\biPod\b/, 'iOS'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b|\bX11\b/, 'Linux'],
]

/** Programs that are not browsers but sign in anyway (scripts, tests). */
const PROGRAM = /^(curl|Wget|python-requests|node-fetch|node|undici|Go-http-client|okhttp)\b/i

/**
 * Describe a `User-Agent` header in words. A missing or unrecognised header
 * is "Unknown device"; text is never echoed back
 * beyond a known program's name, so a hostile header cannot inject anything.
 *
 * @example
 * ```ts
 * describeUserAgent('Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0')
 * // { browser: 'Firefox', platform: 'Linux', label: 'Firefox on Linux' }
 * ```
 */
export function describeUserAgent(userAgent: string | null | undefined): DeviceDescription {
  const ua = (userAgent ?? '').slice(0, 512)
  const program = PROGRAM.exec(ua)?.[1]
  const browser = BROWSERS.find(([pattern]) => pattern.test(ua))?.[1] ?? 'Unknown browser'
  const platform = PLATFORMS.find(([pattern]) => pattern.test(ua))?.[1] ?? 'unknown platform'
  if (program && browser === 'Unknown browser') return { browser: program, platform, label: program }
  if (browser === 'Unknown browser' && platform === 'unknown platform') return { browser, platform, label: 'Unknown device' }
  return { browser, platform, label: `${browser} on ${platform}` }
}
