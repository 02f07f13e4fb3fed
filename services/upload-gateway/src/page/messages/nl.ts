// Every text the customer sees, in Dutch (addressing the customer as "u"). Keys mirror en.ts.
import type { Messages } from './en.ts';

export const nl: Messages = {
  page: {
    title: 'Beveiligd bestandsverzoek van {company}',
    heading: 'Beveiligd bestandsverzoek van {company}',
    contextLabel: 'Bericht van {company}',
    validUntil: 'Deze link werkt één keer, tot {date}.',
    noscript:
      'Deze pagina heeft JavaScript nodig om bestanden op te nemen en te versturen. Zet JavaScript aan of open de link in een andere browser.',
    tablistLabel: 'Wat wilt u versturen?',
    tabs: { audio: 'Audio', video: 'Video', screen: 'Scherm', file: 'Bestand' },
    progressLabel: 'Voortgang van het uploaden',
  },
  audio: {
    intro: 'Neem een spraakbericht op. Uw browser vraagt toestemming om de microfoon te gebruiken.',
    levelLabel: 'Microfoonniveau',
    playbackLabel: 'Uw opname',
    record: 'Opname starten',
    stop: 'Opname stoppen',
    rerecord: 'Opnieuw opnemen',
    another: 'Nog een opnemen',
  },
  video: {
    intro: 'Neem een video op. Uw browser vraagt toestemming om de camera en microfoon te gebruiken.',
    previewLabel: 'Cameravoorbeeld',
    playbackLabel: 'Uw video',
    camera: 'Camera aanzetten',
    record: 'Opname starten',
    stop: 'Opname stoppen',
    rerecord: 'Opnieuw opnemen',
    another: 'Nog een opnemen',
    switchCamera: 'Andere camera',
    blur: 'Achtergrond vervagen',
  },
  screen: {
    intro:
      'Neem uw scherm op, bijvoorbeeld om te laten zien wat er gebeurt. Uw browser vraagt welk scherm, venster of tabblad u wilt delen.',
    previewLabel: 'Schermvoorbeeld',
    playbackLabel: 'Uw schermopname',
    share: 'Kiezen wat u deelt',
    microphone: 'Ook mijn stem opnemen (microfoon)',
    record: 'Opname starten',
    stop: 'Opname stoppen',
    rerecord: 'Opnieuw opnemen',
    another: 'Nog een opnemen',
  },
  file: {
    intro: 'Verstuur een bestand vanaf uw apparaat.',
    choose: 'Kies bestanden',
    drop: 'of sleep ze hierheen',
    accepted: 'Toegestaan: {types}.',
    largest: 'Grootste bestand: {size}.',
    categories: {
      audio: 'audio',
      video: 'video',
      image: 'afbeeldingen',
      document: 'documenten',
      archive: 'archieven',
    },
    typeLabels: {
      'application/vnd.oasis.opendocument.text': 'OpenDocument-tekst',
      'application/vnd.oasis.opendocument.spreadsheet': 'OpenDocument-spreadsheet',
      'application/vnd.oasis.opendocument.presentation': 'OpenDocument-presentatie',
      'text/plain': 'platte tekst',
    },
  },
  outbox: {
    heading: 'Te versturen',
    limits: 'U kunt tot {count} bestanden en opnames tegelijk versturen, samen {size}.',
    messageLabel: 'Bericht voor {company} (optioneel)',
    send: 'Versturen',
  },
  sent: {
    heading: 'Verstuurd!',
    body: '{company} heeft ontvangen wat u hebt verstuurd. U kunt deze pagina nu sluiten.',
  },
  disabled: {
    heading: 'Op dit moment kunnen er geen bestanden worden verstuurd',
    defaultMessage: '{company} neemt op dit moment geen bestanden aan.',
    nothingAllowed: '{company} neemt op dit moment geen enkel bestandstype aan.',
  },
  unavailable: {
    askAgent: 'Vraag degene die u de link stuurde om een nieuwe.',
    not_found: {
      title: 'Link niet gevonden',
      body: 'Deze link bestaat niet. Controleer of u het volledige adres hebt geopend.',
    },
    expired: { title: 'Link verlopen', body: 'Deze link is verlopen.' },
    used: { title: 'Link al gebruikt', body: 'Met deze link is al een bestand verstuurd.' },
    revoked: { title: 'Link ingetrokken', body: 'Deze link is ingetrokken.' },
  },
  rateLimited: {
    title: 'Te veel pogingen',
    body: 'Deze pagina is in korte tijd te vaak geopend. Wacht een minuut en laad de pagina dan opnieuw.',
  },
  viewer: {
    title: '{file} · {company}',
    heading: 'Bestand verstuurd naar {company}',
    download: 'Downloaden',
    noPreview: 'Voor dit bestandstype is geen voorbeeld beschikbaar. Download het om het te openen.',
    cannotPlay: 'Uw browser kan dit bestand hier niet afspelen. Download het om het te openen.',
    validUntil: 'Deze bestandslink werkt tot {date}.',
  },
  fileSignIn: {
    open: 'Aanmelden en bestand openen',
    framed: {
      title: 'Meld je aan om dit bestand te openen',
      body: 'Het bedrijf toont zijn bestanden alleen aan aangemelde agents. Meld je aan in een nieuw tabblad om het te openen.',
    },
    grant_used: {
      title: 'Deze aanmelding is al gebruikt',
      body: 'Het geopende adres bevatte een eenmalige aanmelding die al gebruikt of verlopen is. Meld je opnieuw aan om het bestand te openen.',
    },
    not_configured: {
      title: 'Meld je aan om dit bestand te openen',
      body: 'Het bedrijf toont zijn bestanden alleen aan aangemelde agents, maar in deze Uplink is daarvoor geen aanmelding ingesteld. Vraag het je beheerder.',
    },
  },
  fileUnavailable: {
    askCustomer: 'Hebt u het bestand nog nodig, vraag de klant dan om het opnieuw te versturen.',
    not_found: {
      title: 'Bestandslink niet gevonden',
      body: 'Deze bestandslink bestaat niet. Controleer of u het volledige adres hebt geopend.',
    },
    expired: { title: 'Bestandslink verlopen', body: 'Deze bestandslink is verlopen.' },
    revoked: { title: 'Bestandslink ingetrokken', body: 'Deze bestandslink is ingetrokken.' },
  },
  client: {
    recording: 'Bezig met opnemen…',
    recordingStopped:
      'Opname gestopt ({duration}) en toegevoegd aan wat u verstuurt. Luister de opname terug en verstuur hem daarna, of neem opnieuw op.',
    cameraOn: 'De camera staat aan. Start de opname zodra u klaar bent.',
    cameraSwitched: 'Overgeschakeld naar een andere camera.',
    limitReached: 'De opname heeft de grootste toegestane omvang bereikt en is gestopt.',
    micUnavailable:
      'De microfoon kon niet worden gebruikt. Geef toegang in de instellingen van uw browser en probeer het opnieuw.',
    cameraUnavailable:
      'De camera kon niet worden gebruikt. Geef toegang in de instellingen van uw browser en probeer het opnieuw.',
    screenOn: 'Uw scherm wordt gedeeld. Start de opname zodra u klaar bent.',
    screenUnavailable:
      'Het scherm kon niet worden gedeeld. Kies wat u wilt delen, sta het toe en probeer het opnieuw.',
    screenEnded: 'Het delen van het scherm is gestopt.',
    notSupported:
      'Deze browser kan hier niet opnemen. U kunt wel een bestand versturen via het tabblad Bestand.',
    recordingFailed:
      'De opname werkte niet in deze browser. U kunt een bestand versturen via het tabblad Bestand, of een andere browser proberen.',
    blurLoading: 'Achtergrondvervaging wordt geladen…',
    blurOn: 'De achtergrond is vervaagd.',
    blurOff: 'De achtergrond is niet meer vervaagd.',
    blurFailed: 'Achtergrondvervaging is in deze browser niet beschikbaar.',
    fileAdded: 'Toegevoegd: {name}, {size}.',
    fileRemoved: 'Verwijderd: {name}.',
    remove: 'Verwijderen',
    removeLabel: '{name} verwijderen',
    tooManyFiles: 'U kunt tot {max} bestanden en opnames tegelijk versturen.',
    totalTooLarge:
      '{name} past er niet meer bij: alles wat u tegelijk verstuurt mag samen hoogstens {max} zijn.',
    messageCount: '{count} van {max} tekens',
    send: {
      audio: 'Spraakbericht versturen',
      video: 'Video versturen',
      screen: 'Schermopname versturen',
      file: 'Bestand versturen',
      several: '{count} bestanden versturen',
    },
    itemStates: {
      waiting: 'Wacht',
      uploading: '{percent}%',
      stored: 'Geüpload',
      rejected: 'Niet aangenomen',
    },
    fileTooLarge: '{name} is {size}; het grootste toegestane bestand is {max}.',
    fileTypeNotAllowed: 'Bestanden zoals {name} worden hier niet aangenomen.',
    fileEmpty: '{name} is leeg.',
    preparing: 'Uploaden wordt voorbereid…',
    progress: '{sent} van {total} ({percent}%)',
    uploadingPercent: '{percent}% geüpload.',
    retrying: 'De verbinding is weggevallen. Nieuwe poging…',
    offline: 'U bent offline. Het uploaden gaat verder zodra de verbinding terug is.',
    verifying: 'Het bestand wordt gecontroleerd…',
    resuming: 'Verder met het verzenden van {name} waar het stopte…',
    recordingNames: { audio: 'spraakbericht', video: 'videobericht', screen: 'schermopname' },
    errors: {
      link_gone: 'Deze link kan niet meer worden gebruikt. Vraag om een nieuwe link.',
      link_not_pending: 'Met deze link is al een bestand verstuurd.',
      payload_too_large: 'Het bestand is te groot.',
      unsupported_media_type: 'Dit bestandstype wordt niet aangenomen.',
      upload_rejected: 'Het bestand is niet aangenomen: {reason} U kunt het opnieuw proberen.',
      submission_rejected:
        'Er is niets verstuurd. {reason} Verwijder of vervang dat bestand en verstuur opnieuw.',
      rate_limited: 'Te veel pogingen. Wacht {seconds} seconden en probeer het opnieuw.',
      storage: 'Het uploaden is niet gelukt. Probeer het opnieuw.',
      network: 'De verbinding is verbroken. Controleer uw netwerk en probeer het opnieuw.',
      unknown: 'Er is iets misgegaan. Probeer het opnieuw.',
    },
  },
};
