// Every text the customer sees, in German. Keys mirror en.ts.
import type { Messages } from './en.ts';

export const de: Messages = {
  page: {
    title: 'Sichere Dateianfrage von {company}',
    heading: 'Sichere Dateianfrage von {company}',
    contextLabel: 'Nachricht von {company}',
    validUntil: 'Dieser Link funktioniert einmal, bis {date}.',
    noscript:
      'Diese Seite braucht JavaScript, um Dateien aufzunehmen und zu senden. Bitte schalten Sie JavaScript ein oder öffnen Sie den Link in einem anderen Browser.',
    tablistLabel: 'Was möchten Sie senden?',
    tabs: { audio: 'Audio', video: 'Video', screen: 'Bildschirm', file: 'Datei' },
    progressLabel: 'Fortschritt des Uploads',
  },
  audio: {
    intro:
      'Nehmen Sie eine Sprachnachricht auf. Ihr Browser fragt, ob die Seite das Mikrofon verwenden darf.',
    levelLabel: 'Mikrofonpegel',
    playbackLabel: 'Ihre Aufnahme',
    record: 'Aufnahme starten',
    stop: 'Aufnahme beenden',
    rerecord: 'Neu aufnehmen',
    another: 'Weitere aufnehmen',
  },
  video: {
    intro: 'Nehmen Sie ein Video auf. Ihr Browser fragt, ob die Seite Kamera und Mikrofon verwenden darf.',
    previewLabel: 'Kameravorschau',
    playbackLabel: 'Ihr Video',
    camera: 'Kamera einschalten',
    record: 'Aufnahme starten',
    stop: 'Aufnahme beenden',
    rerecord: 'Neu aufnehmen',
    another: 'Weitere aufnehmen',
    switchCamera: 'Kamera wechseln',
    blur: 'Hintergrund unscharf',
  },
  screen: {
    intro:
      'Nehmen Sie Ihren Bildschirm auf, um zum Beispiel zu zeigen, was darauf passiert. Ihr Browser fragt, welchen Bildschirm, welches Fenster oder welchen Tab Sie teilen möchten.',
    previewLabel: 'Bildschirmvorschau',
    playbackLabel: 'Ihre Bildschirmaufnahme',
    share: 'Auswählen, was geteilt wird',
    microphone: 'Auch meine Stimme aufnehmen (Mikrofon)',
    record: 'Aufnahme starten',
    stop: 'Aufnahme beenden',
    rerecord: 'Neu aufnehmen',
    another: 'Weitere aufnehmen',
  },
  file: {
    intro: 'Senden Sie eine Datei von Ihrem Gerät.',
    choose: 'Dateien auswählen',
    drop: 'oder hierher ziehen',
    accepted: 'Erlaubt: {types}.',
    largest: 'Größte Datei: {size}.',
    categories: {
      audio: 'Audio',
      video: 'Video',
      image: 'Bilder',
      document: 'Dokumente',
      archive: 'Archive',
    },
    typeLabels: {
      'application/vnd.oasis.opendocument.text': 'OpenDocument-Text',
      'application/vnd.oasis.opendocument.spreadsheet': 'OpenDocument-Tabelle',
      'application/vnd.oasis.opendocument.presentation': 'OpenDocument-Präsentation',
      'text/plain': 'Nur-Text',
    },
  },
  outbox: {
    heading: 'Zu senden',
    limits: 'Sie können bis zu {count} Dateien und Aufnahmen auf einmal senden, zusammen höchstens {size}.',
    messageLabel: 'Nachricht an {company} (optional)',
    send: 'Senden',
  },
  sent: {
    heading: 'Gesendet!',
    body: '{company} hat erhalten, was Sie gesendet haben. Sie können diese Seite jetzt schließen.',
  },
  disabled: {
    heading: 'Im Moment können keine Dateien gesendet werden',
    defaultMessage: '{company} nimmt im Moment keine Dateien an.',
    nothingAllowed: '{company} nimmt im Moment keine Dateitypen an.',
  },
  unavailable: {
    askAgent: 'Bitten Sie die Person, die Ihnen den Link geschickt hat, um einen neuen.',
    not_found: {
      title: 'Link nicht gefunden',
      body: 'Diesen Link gibt es nicht. Prüfen Sie, ob Sie die vollständige Adresse geöffnet haben.',
    },
    expired: { title: 'Link abgelaufen', body: 'Dieser Link ist abgelaufen.' },
    used: { title: 'Link bereits verwendet', body: 'Mit diesem Link wurde bereits eine Datei gesendet.' },
    revoked: { title: 'Link zurückgezogen', body: 'Dieser Link wurde zurückgezogen.' },
  },
  rateLimited: {
    title: 'Zu viele Versuche',
    body: 'Diese Seite wurde in kurzer Zeit zu oft geöffnet. Bitte warten Sie eine Minute und laden Sie sie dann neu.',
  },
  viewer: {
    title: '{file} · {company}',
    heading: 'An {company} gesendete Datei',
    download: 'Herunterladen',
    noPreview: 'Für diesen Dateityp gibt es keine Vorschau. Laden Sie die Datei herunter, um sie zu öffnen.',
    cannotPlay:
      'Ihr Browser kann diese Datei hier nicht abspielen. Laden Sie sie herunter, um sie zu öffnen.',
    validUntil: 'Dieser Dateilink funktioniert bis {date}.',
  },
  fileSignIn: {
    open: 'Anmelden und Datei öffnen',
    framed: {
      title: 'Zum Öffnen dieser Datei anmelden',
      body: 'Das Unternehmen zeigt seine Dateien nur angemeldeten Agenten. Melden Sie sich in einem neuen Tab an, um sie zu öffnen.',
    },
    grant_used: {
      title: 'Diese Anmeldung wurde bereits verwendet',
      body: 'Die geöffnete Adresse enthielt eine einmalige Anmeldung, die verwendet wurde oder abgelaufen ist. Melden Sie sich erneut an, um die Datei zu öffnen.',
    },
    not_configured: {
      title: 'Zum Öffnen dieser Datei anmelden',
      body: 'Das Unternehmen zeigt seine Dateien nur angemeldeten Agenten, aber in diesem Uplink ist keine Anmeldung dafür eingerichtet. Wenden Sie sich an Ihre Administration.',
    },
  },
  fileUnavailable: {
    askCustomer:
      'Wenn Sie die Datei noch brauchen, bitten Sie die Kundin oder den Kunden, sie erneut zu senden.',
    not_found: {
      title: 'Dateilink nicht gefunden',
      body: 'Diesen Dateilink gibt es nicht. Prüfen Sie, ob Sie die vollständige Adresse geöffnet haben.',
    },
    expired: { title: 'Dateilink abgelaufen', body: 'Dieser Dateilink ist abgelaufen.' },
    revoked: { title: 'Dateilink zurückgezogen', body: 'Dieser Dateilink wurde zurückgezogen.' },
  },
  client: {
    recording: 'Aufnahme läuft…',
    recordingStopped:
      'Aufnahme beendet ({duration}) und zum Senden hinzugefügt. Hören Sie sie an, dann senden Sie sie oder nehmen Sie neu auf.',
    cameraOn: 'Die Kamera ist eingeschaltet. Starten Sie die Aufnahme, sobald Sie bereit sind.',
    cameraSwitched: 'Zu einer anderen Kamera gewechselt.',
    limitReached: 'Die Aufnahme hat die größte erlaubte Größe erreicht und wurde beendet.',
    micUnavailable:
      'Das Mikrofon konnte nicht verwendet werden. Erlauben Sie den Zugriff in den Browser-Einstellungen und versuchen Sie es erneut.',
    cameraUnavailable:
      'Die Kamera konnte nicht verwendet werden. Erlauben Sie den Zugriff in den Browser-Einstellungen und versuchen Sie es erneut.',
    screenOn: 'Ihr Bildschirm wird geteilt. Starten Sie die Aufnahme, sobald Sie bereit sind.',
    screenUnavailable:
      'Der Bildschirm konnte nicht geteilt werden. Wählen Sie aus, was geteilt werden soll, erlauben Sie es und versuchen Sie es erneut.',
    screenEnded: 'Die Bildschirmfreigabe wurde beendet.',
    notSupported:
      'Dieser Browser kann hier nicht aufnehmen. Sie können aber im Tab „Datei“ eine Datei senden.',
    recordingFailed:
      'Die Aufnahme hat in diesem Browser nicht funktioniert. Sie können stattdessen im Tab „Datei“ eine Datei senden oder einen anderen Browser verwenden.',
    blurLoading: 'Hintergrundunschärfe wird geladen…',
    blurOn: 'Der Hintergrund ist unscharf.',
    blurOff: 'Der Hintergrund ist nicht mehr unscharf.',
    blurFailed: 'Hintergrundunschärfe ist in diesem Browser nicht verfügbar.',
    fileAdded: 'Hinzugefügt: {name}, {size}.',
    fileRemoved: 'Entfernt: {name}.',
    remove: 'Entfernen',
    removeLabel: '{name} entfernen',
    tooManyFiles: 'Sie können bis zu {max} Dateien und Aufnahmen auf einmal senden.',
    totalTooLarge: '{name} passt nicht mehr dazu: Alles zusammen darf höchstens {max} groß sein.',
    messageCount: '{count} von {max} Zeichen',
    send: {
      audio: 'Sprachnachricht senden',
      video: 'Video senden',
      screen: 'Bildschirmaufnahme senden',
      file: 'Datei senden',
      several: '{count} Dateien senden',
    },
    itemStates: {
      waiting: 'Wartet',
      uploading: '{percent} %',
      stored: 'Hochgeladen',
      rejected: 'Nicht angenommen',
    },
    fileTooLarge: '{name} ist {size} groß; erlaubt sind höchstens {max}.',
    fileTypeNotAllowed: 'Dateien wie {name} werden hier nicht angenommen.',
    fileEmpty: '{name} ist leer.',
    preparing: 'Upload wird vorbereitet…',
    progress: '{sent} von {total} ({percent} %)',
    uploadingPercent: '{percent} % hochgeladen.',
    retrying: 'Die Verbindung wurde unterbrochen. Neuer Versuch…',
    offline: 'Sie sind offline. Der Upload geht weiter, sobald die Verbindung wieder da ist.',
    verifying: 'Die Datei wird geprüft…',
    verifyingSeveral: 'Die Dateien werden geprüft…',
    resuming: '{name} wird dort weitergesendet, wo es aufgehört hat…',
    recordingNames: { audio: 'sprachnachricht', video: 'videonachricht', screen: 'bildschirmaufnahme' },
    errors: {
      link_gone: 'Dieser Link kann nicht mehr verwendet werden. Bitte fragen Sie nach einem neuen Link.',
      link_not_pending: 'Mit diesem Link wurde bereits eine Datei gesendet.',
      payload_too_large: 'Die Datei ist zu groß.',
      unsupported_media_type: 'Dieser Dateityp wird nicht angenommen.',
      upload_rejected: 'Die Datei wurde nicht angenommen: {reason} Sie können es erneut versuchen.',
      submission_rejected:
        'Nichts wurde gesendet. {reason} Entfernen oder ersetzen Sie diese Datei und senden Sie erneut.',
      rate_limited:
        'Zu viele Versuche. Bitte warten Sie {seconds} Sekunden und versuchen Sie es dann erneut.',
      storage: 'Der Upload hat nicht geklappt. Bitte versuchen Sie es erneut.',
      network: 'Die Verbindung wurde unterbrochen. Prüfen Sie Ihr Netzwerk und versuchen Sie es erneut.',
      unknown: 'Etwas ist schiefgelaufen. Bitte versuchen Sie es erneut.',
    },
  },
};
