// Every text the customer sees, in English. Placeholders are `{name}`; the German file mirrors
// this one key for key (its type is derived from here, so a missing key fails type-checking).

export const en = {
  page: {
    title: 'Secure file request from {company}',
    heading: 'Secure file request from {company}',
    contextLabel: 'Message from {company}',
    validUntil: 'This link works once, until {date}.',
    noscript:
      'This page needs JavaScript to record and send files. Please turn JavaScript on, or open the link in another browser.',
    tablistLabel: 'What would you like to send?',
    tabs: { audio: 'Audio', video: 'Video', screen: 'Screen', file: 'File' },
    progressLabel: 'Upload progress',
  },
  audio: {
    intro: 'Record a voice message. Your browser will ask for permission to use the microphone.',
    levelLabel: 'Microphone level',
    playbackLabel: 'Your recording',
    record: 'Start recording',
    stop: 'Stop recording',
    rerecord: 'Record again',
    another: 'Record another',
  },
  video: {
    intro: 'Record a video. Your browser will ask for permission to use the camera and microphone.',
    previewLabel: 'Camera preview',
    playbackLabel: 'Your video',
    camera: 'Turn on camera',
    record: 'Start recording',
    stop: 'Stop recording',
    rerecord: 'Record again',
    another: 'Record another',
    switchCamera: 'Switch camera',
    blur: 'Blur background',
  },
  screen: {
    intro:
      'Record your screen, for example to show what happens on it. Your browser will ask which screen, window or tab to share.',
    previewLabel: 'Screen preview',
    playbackLabel: 'Your screen recording',
    share: 'Choose what to share',
    microphone: 'Also record my voice (microphone)',
    record: 'Start recording',
    stop: 'Stop recording',
    rerecord: 'Record again',
    another: 'Record another',
  },
  file: {
    intro: 'Send a file from your device.',
    choose: 'Choose files',
    drop: 'or drop them here',
    accepted: 'Accepted: {types}.',
    largest: 'Largest file: {size}.',
    categories: {
      audio: 'audio',
      video: 'video',
      image: 'images',
      document: 'documents',
      archive: 'archives',
    },
    /**
     * The type names that differ by language, by MIME type; every other type keeps the name
     * packages/contracts gives it (PDF, MP3, Word).
     */
    typeLabels: {
      'application/vnd.oasis.opendocument.text': 'OpenDocument text',
      'application/vnd.oasis.opendocument.spreadsheet': 'OpenDocument spreadsheet',
      'application/vnd.oasis.opendocument.presentation': 'OpenDocument presentation',
      'text/plain': 'Text',
    },
  },
  /** What the customer is about to send, below the tabs: the files, a message, the Send button. */
  outbox: {
    heading: 'To send',
    limits: 'You can send up to {count} files and recordings at once, {size} in total.',
    messageLabel: 'Message for {company} (optional)',
    send: 'Send',
  },
  sent: {
    heading: 'Sent!',
    body: '{company} has received what you sent. You can close this page now.',
  },
  disabled: {
    heading: 'Files cannot be sent right now',
    defaultMessage: '{company} is not accepting files at the moment.',
    nothingAllowed: '{company} is not accepting any type of file at the moment.',
  },
  unavailable: {
    askAgent: 'Please ask the agent who sent it for a new link.',
    not_found: {
      title: 'Link not found',
      body: 'This link does not exist. Check that you opened the whole address.',
    },
    expired: { title: 'Link expired', body: 'This link has expired.' },
    used: { title: 'Link already used', body: 'A file has already been sent with this link.' },
    revoked: { title: 'Link withdrawn', body: 'This link has been withdrawn.' },
  },
  rateLimited: {
    title: 'Too many attempts',
    body: 'This page was opened too often in a short time. Please wait a minute, then reload it.',
  },
  /** The file viewer (`/f/<token>`): where agents open a file the customer sent. */
  viewer: {
    title: '{file} · {company}',
    heading: 'File sent to {company}',
    download: 'Download',
    noPreview: 'There is no preview for this type of file. Download it to open it.',
    cannotPlay: 'Your browser cannot play this file here. Download it to open it.',
    validUntil: 'This file link works until {date}.',
  },
  fileSignIn: {
    open: 'Sign in and open the file',
    framed: {
      title: 'Sign in to open this file',
      body: 'The company keeps its files for its signed-in agents. Sign in to open it, in a new tab.',
    },
    grant_used: {
      title: 'This sign-in was already used',
      body: 'The address you opened carried a one-time sign-in that was used or has expired. Sign in again to open the file.',
    },
    not_configured: {
      title: 'Sign in to open this file',
      body: 'The company keeps its files for its signed-in agents, but this Uplink has no sign-in for them configured. Ask your administrator.',
    },
  },
  fileUnavailable: {
    askCustomer: 'If you still need the file, ask the customer to send it again.',
    not_found: {
      title: 'File link not found',
      body: 'This file link does not exist. Check that you opened the whole address.',
    },
    expired: { title: 'File link expired', body: 'This file link has expired.' },
    revoked: { title: 'File link withdrawn', body: 'This file link has been withdrawn.' },
  },
  /** Texts the page's script shows; sent to the browser with the page, for its language only. */
  client: {
    recording: 'Recording…',
    recordingStopped:
      'Recording stopped ({duration}) and added to what you send. Listen to it, then send it or record again.',
    cameraOn: 'The camera is on. Start recording when you are ready.',
    cameraSwitched: 'Switched to another camera.',
    limitReached: 'The recording reached the largest size allowed and was stopped.',
    micUnavailable:
      'The microphone could not be used. Allow access to it in your browser settings and try again.',
    cameraUnavailable:
      'The camera could not be used. Allow access to it in your browser settings and try again.',
    screenOn: 'Your screen is shared. Start recording when you are ready.',
    screenUnavailable: 'The screen could not be shared. Choose what to share and allow it, then try again.',
    screenEnded: 'Screen sharing has ended.',
    notSupported: 'This browser cannot record here. You can still send a file from the File tab.',
    recordingFailed:
      'The recording did not work in this browser. You can send a file from the File tab instead, or try another browser.',
    blurLoading: 'Loading background blur…',
    blurOn: 'Background blur is on.',
    blurOff: 'Background blur is off.',
    blurFailed: 'Background blur is not available in this browser.',
    fileAdded: 'Added: {name}, {size}.',
    fileRemoved: 'Removed: {name}.',
    remove: 'Remove',
    removeLabel: 'Remove {name}',
    tooManyFiles: 'You can send up to {max} files and recordings at once.',
    totalTooLarge: '{name} does not fit: everything you send at once may be {max} at most.',
    messageCount: '{count} of {max} characters',
    /** The Send button's label: after what the one item is, or how many there are. */
    send: {
      audio: 'Send voice message',
      video: 'Send video',
      screen: 'Send screen recording',
      file: 'Send file',
      several: 'Send {count} files',
    },
    /** What became of each file while it is sent, beside its name. */
    itemStates: {
      waiting: 'Waiting',
      uploading: '{percent}%',
      stored: 'Uploaded',
      rejected: 'Not accepted',
    },
    fileTooLarge: '{name} is {size}; the largest file allowed is {max}.',
    fileTypeNotAllowed: 'Files like {name} are not accepted here.',
    fileEmpty: '{name} is empty.',
    preparing: 'Preparing the upload…',
    progress: '{sent} of {total} ({percent}%)',
    uploadingPercent: 'Uploaded {percent}%.',
    retrying: 'The connection dropped. Trying again…',
    offline: 'You are offline. The upload continues when the connection is back.',
    verifying: 'Checking the file…',
    verifyingSeveral: 'Checking the files…',
    resuming: 'Continuing to send {name} where it stopped…',
    /** Names of recordings, as the agent sees them (date and extension are appended). */
    recordingNames: { audio: 'voice-message', video: 'video-message', screen: 'screen-recording' },
    errors: {
      link_gone: 'This link can no longer be used. Please ask the agent for a new link.',
      link_not_pending: 'A file has already been sent with this link.',
      payload_too_large: 'The file is too large.',
      unsupported_media_type: 'This type of file is not accepted.',
      upload_rejected: 'The file was not accepted: {reason} You can try again.',
      /** A submission of several files refused because of one (the reason names it). */
      submission_rejected: 'Nothing was sent. {reason} Remove that file or replace it, then send again.',
      rate_limited: 'Too many attempts. Please wait {seconds} seconds and try again.',
      storage: 'The upload did not go through. Please try again.',
      network: 'The connection was lost. Check your network and try again.',
      unknown: 'Something went wrong. Please try again.',
    },
  },
};

export type Messages = typeof en;
