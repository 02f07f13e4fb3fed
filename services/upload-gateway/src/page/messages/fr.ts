// Every text the customer sees, in French (addressing the customer as « vous »). Keys mirror en.ts.
import type { Messages } from './en.ts';

export const fr: Messages = {
  page: {
    title: 'Demande de fichier sécurisée de {company}',
    heading: 'Demande de fichier sécurisée de {company}',
    contextLabel: 'Message de {company}',
    validUntil: 'Ce lien ne peut servir qu’une fois, jusqu’au {date}.',
    noscript:
      'Cette page a besoin de JavaScript pour enregistrer et envoyer des fichiers. Veuillez activer JavaScript ou ouvrir le lien dans un autre navigateur.',
    tablistLabel: 'Que souhaitez-vous envoyer\u00a0?',
    tabs: { audio: 'Audio', video: 'Vidéo', screen: 'Écran', file: 'Fichier' },
    progressLabel: 'Progression de l’envoi',
  },
  audio: {
    intro:
      'Enregistrez un message vocal. Votre navigateur vous demandera l’autorisation d’utiliser le micro.',
    levelLabel: 'Niveau du micro',
    playbackLabel: 'Votre enregistrement',
    record: 'Démarrer l’enregistrement',
    stop: 'Arrêter l’enregistrement',
    rerecord: 'Recommencer',
    another: 'Enregistrer un autre',
  },
  video: {
    intro:
      'Enregistrez une vidéo. Votre navigateur vous demandera l’autorisation d’utiliser la caméra et le micro.',
    previewLabel: 'Aperçu de la caméra',
    playbackLabel: 'Votre vidéo',
    camera: 'Allumer la caméra',
    record: 'Démarrer l’enregistrement',
    stop: 'Arrêter l’enregistrement',
    rerecord: 'Recommencer',
    another: 'Enregistrer un autre',
    switchCamera: 'Changer de caméra',
    blur: 'Flouter l’arrière-plan',
  },
  screen: {
    intro:
      'Enregistrez votre écran, par exemple pour montrer ce qui s’y passe. Votre navigateur vous demandera quel écran, quelle fenêtre ou quel onglet partager.',
    previewLabel: 'Aperçu de l’écran',
    playbackLabel: 'Votre enregistrement d’écran',
    share: 'Choisir ce qui est partagé',
    microphone: 'Enregistrer aussi ma voix (micro)',
    record: 'Démarrer l’enregistrement',
    stop: 'Arrêter l’enregistrement',
    rerecord: 'Recommencer',
    another: 'Enregistrer un autre',
  },
  file: {
    intro: 'Envoyez un fichier depuis votre appareil.',
    choose: 'Choisir des fichiers',
    drop: 'ou déposez-les ici',
    accepted: 'Acceptés\u00a0: {types}.',
    largest: 'Taille maximale\u00a0: {size}.',
    categories: {
      audio: 'audio',
      video: 'vidéo',
      image: 'images',
      document: 'documents',
      archive: 'archives',
    },
    typeLabels: {
      'application/vnd.oasis.opendocument.text': 'texte OpenDocument',
      'application/vnd.oasis.opendocument.spreadsheet': 'classeur OpenDocument',
      'application/vnd.oasis.opendocument.presentation': 'présentation OpenDocument',
      'text/plain': 'texte brut',
    },
  },
  outbox: {
    heading: 'À envoyer',
    limits: 'Vous pouvez envoyer jusqu’à {count} fichiers et enregistrements à la fois, {size} au total.',
    messageLabel: 'Message pour {company} (facultatif)',
    send: 'Envoyer',
  },
  sent: {
    heading: 'Envoyé\u00a0!',
    body: '{company} a bien reçu votre envoi. Vous pouvez maintenant fermer cette page.',
  },
  disabled: {
    heading: 'Impossible d’envoyer des fichiers pour le moment',
    defaultMessage: '{company} n’accepte pas de fichiers pour le moment.',
    nothingAllowed: '{company} n’accepte aucun type de fichier pour le moment.',
  },
  unavailable: {
    askAgent: 'Demandez un nouveau lien à la personne qui vous l’a envoyé.',
    not_found: {
      title: 'Lien introuvable',
      body: 'Ce lien n’existe pas. Vérifiez que vous avez ouvert l’adresse complète.',
    },
    expired: { title: 'Lien expiré', body: 'Ce lien a expiré.' },
    used: { title: 'Lien déjà utilisé', body: 'Un fichier a déjà été envoyé avec ce lien.' },
    revoked: { title: 'Lien retiré', body: 'Ce lien a été retiré.' },
  },
  rateLimited: {
    title: 'Trop de tentatives',
    body: 'Cette page a été ouverte trop souvent en peu de temps. Veuillez patienter une minute, puis la recharger.',
  },
  viewer: {
    title: '{file} · {company}',
    heading: 'Fichier envoyé à {company}',
    download: 'Télécharger',
    noPreview: 'Aucun aperçu n’est disponible pour ce type de fichier. Téléchargez-le pour l’ouvrir.',
    cannotPlay: 'Votre navigateur ne peut pas lire ce fichier ici. Téléchargez-le pour l’ouvrir.',
    validUntil: 'Ce lien vers le fichier fonctionne jusqu’au {date}.',
  },
  fileSignIn: {
    open: 'Se connecter et ouvrir le fichier',
    framed: {
      title: 'Connectez-vous pour ouvrir ce fichier',
      body: 'L’entreprise réserve ses fichiers à ses agents connectés. Connectez-vous dans un nouvel onglet pour l’ouvrir.',
    },
    grant_used: {
      title: 'Cette connexion a déjà été utilisée',
      body: 'L’adresse ouverte contenait une connexion à usage unique déjà utilisée ou expirée. Connectez-vous à nouveau pour ouvrir le fichier.',
    },
    not_configured: {
      title: 'Connectez-vous pour ouvrir ce fichier',
      body: 'L’entreprise réserve ses fichiers à ses agents connectés, mais aucune connexion n’est configurée pour cela dans cet Uplink. Contactez votre administrateur.',
    },
  },
  fileUnavailable: {
    askCustomer: 'Si vous avez encore besoin du fichier, demandez au client de le renvoyer.',
    not_found: {
      title: 'Lien vers le fichier introuvable',
      body: 'Ce lien vers le fichier n’existe pas. Vérifiez que vous avez ouvert l’adresse complète.',
    },
    expired: { title: 'Lien vers le fichier expiré', body: 'Ce lien vers le fichier a expiré.' },
    revoked: { title: 'Lien vers le fichier retiré', body: 'Ce lien vers le fichier a été retiré.' },
  },
  client: {
    recording: 'Enregistrement en cours…',
    recordingStopped:
      'Enregistrement terminé ({duration}) et ajouté à votre envoi. Écoutez-le, puis envoyez-le ou recommencez.',
    cameraOn: 'La caméra est allumée. Lancez l’enregistrement quand vous êtes prêt.',
    cameraSwitched: 'Une autre caméra est utilisée.',
    limitReached: 'L’enregistrement a atteint la taille maximale autorisée et a été arrêté.',
    micUnavailable:
      'Le micro n’a pas pu être utilisé. Autorisez-en l’accès dans les réglages de votre navigateur, puis réessayez.',
    cameraUnavailable:
      'La caméra n’a pas pu être utilisée. Autorisez-en l’accès dans les réglages de votre navigateur, puis réessayez.',
    screenOn: 'Votre écran est partagé. Lancez l’enregistrement quand vous êtes prêt.',
    screenUnavailable:
      'L’écran n’a pas pu être partagé. Choisissez ce qui doit être partagé, autorisez-le, puis réessayez.',
    screenEnded: 'Le partage d’écran est terminé.',
    notSupported:
      'Ce navigateur ne peut pas enregistrer ici. Vous pouvez toutefois envoyer un fichier depuis l’onglet Fichier.',
    recordingFailed:
      'L’enregistrement n’a pas fonctionné dans ce navigateur. Vous pouvez envoyer un fichier depuis l’onglet Fichier, ou essayer un autre navigateur.',
    blurLoading: 'Chargement du flou d’arrière-plan…',
    blurOn: 'L’arrière-plan est flouté.',
    blurOff: 'L’arrière-plan n’est plus flouté.',
    blurFailed: 'Le flou d’arrière-plan n’est pas disponible dans ce navigateur.',
    fileAdded: 'Ajouté\u00a0: {name}, {size}.',
    fileRemoved: 'Retiré\u00a0: {name}.',
    remove: 'Retirer',
    removeLabel: 'Retirer {name}',
    tooManyFiles: 'Vous pouvez envoyer jusqu’à {max} fichiers et enregistrements à la fois.',
    totalTooLarge: '{name} ne tient plus dans l’envoi\u00a0: l’ensemble ne peut dépasser {max}.',
    messageCount: '{count} sur {max} caractères',
    send: {
      audio: 'Envoyer le message vocal',
      video: 'Envoyer la vidéo',
      screen: 'Envoyer l’enregistrement d’écran',
      file: 'Envoyer le fichier',
      several: 'Envoyer {count} fichiers',
    },
    itemStates: {
      waiting: 'En attente',
      uploading: '{percent}\u00a0%',
      stored: 'Envoyé',
      rejected: 'Refusé',
    },
    fileTooLarge: '{name} fait {size}\u00a0; la taille maximale autorisée est de {max}.',
    fileTypeNotAllowed: 'Les fichiers comme {name} ne sont pas acceptés ici.',
    fileEmpty: '{name} est vide.',
    preparing: 'Préparation de l’envoi…',
    progress: '{sent} sur {total} ({percent}\u00a0%)',
    uploadingPercent: '{percent}\u00a0% envoyés.',
    retrying: 'La connexion a été interrompue. Nouvelle tentative…',
    offline: 'Vous êtes hors ligne. L’envoi reprendra dès le retour de la connexion.',
    verifying: 'Vérification du fichier…',
    verifyingSeveral: 'Vérification des fichiers…',
    resuming: 'Reprise de l’envoi de {name} là où il s’est arrêté…',
    recordingNames: { audio: 'message-vocal', video: 'message-video', screen: 'enregistrement-ecran' },
    errors: {
      link_gone: 'Ce lien ne peut plus être utilisé. Veuillez demander un nouveau lien.',
      link_not_pending: 'Un fichier a déjà été envoyé avec ce lien.',
      payload_too_large: 'Le fichier est trop volumineux.',
      unsupported_media_type: 'Ce type de fichier n’est pas accepté.',
      upload_rejected: 'Le fichier n’a pas été accepté\u00a0: {reason} Vous pouvez réessayer.',
      submission_rejected:
        'Rien n’a été envoyé. {reason} Retirez ou remplacez ce fichier, puis envoyez à nouveau.',
      rate_limited: 'Trop de tentatives. Veuillez patienter {seconds}\u00a0secondes, puis réessayer.',
      storage: 'L’envoi n’a pas abouti. Veuillez réessayer.',
      network: 'La connexion a été perdue. Vérifiez votre réseau, puis réessayez.',
      unknown: 'Une erreur s’est produite. Veuillez réessayer.',
    },
  },
};
