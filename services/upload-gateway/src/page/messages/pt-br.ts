// Every text the customer sees, in Brazilian Portuguese (addressing the customer as "você").
// Keys mirror en.ts.
import type { Messages } from './en.ts';

export const ptBR: Messages = {
  page: {
    title: 'Solicitação segura de arquivo de {company}',
    heading: 'Solicitação segura de arquivo de {company}',
    contextLabel: 'Mensagem de {company}',
    validUntil: 'Este link só pode ser usado uma vez, até {date}.',
    noscript:
      'Esta página precisa de JavaScript para gravar e enviar arquivos. Ative o JavaScript ou abra o link em outro navegador.',
    tablistLabel: 'O que você quer enviar?',
    tabs: { audio: 'Áudio', video: 'Vídeo', screen: 'Tela', file: 'Arquivo' },
    progressLabel: 'Progresso do envio',
  },
  audio: {
    intro: 'Grave uma mensagem de voz. Seu navegador vai pedir permissão para usar o microfone.',
    levelLabel: 'Nível do microfone',
    playbackLabel: 'Sua gravação',
    record: 'Começar a gravar',
    stop: 'Parar a gravação',
    rerecord: 'Gravar de novo',
    send: 'Enviar mensagem de voz',
  },
  video: {
    intro: 'Grave um vídeo. Seu navegador vai pedir permissão para usar a câmera e o microfone.',
    previewLabel: 'Visualização da câmera',
    playbackLabel: 'Seu vídeo',
    camera: 'Ligar a câmera',
    record: 'Começar a gravar',
    stop: 'Parar a gravação',
    rerecord: 'Gravar de novo',
    send: 'Enviar vídeo',
    switchCamera: 'Trocar de câmera',
    blur: 'Desfocar o fundo',
  },
  screen: {
    intro:
      'Grave sua tela, por exemplo para mostrar o que acontece nela. Seu navegador vai perguntar qual tela, janela ou guia você quer compartilhar.',
    previewLabel: 'Visualização da tela',
    playbackLabel: 'Sua gravação de tela',
    share: 'Escolher o que compartilhar',
    microphone: 'Gravar também minha voz (microfone)',
    record: 'Começar a gravar',
    stop: 'Parar a gravação',
    rerecord: 'Gravar de novo',
    send: 'Enviar gravação de tela',
  },
  file: {
    intro: 'Envie um arquivo do seu dispositivo.',
    choose: 'Escolher um arquivo',
    drop: 'ou arraste-o para cá',
    accepted: 'Aceitos: {types}.',
    largest: 'Tamanho máximo: {size}.',
    categories: {
      audio: 'áudio',
      video: 'vídeo',
      image: 'imagens',
      document: 'documentos',
      archive: 'arquivos compactados',
    },
    typeLabels: {
      'application/vnd.oasis.opendocument.text': 'texto OpenDocument',
      'application/vnd.oasis.opendocument.spreadsheet': 'planilha OpenDocument',
      'application/vnd.oasis.opendocument.presentation': 'apresentação OpenDocument',
      'text/plain': 'texto simples',
    },
    send: 'Enviar arquivo',
  },
  sent: {
    heading: 'Enviado!',
    body: '{company} recebeu seu arquivo. Você já pode fechar esta página.',
  },
  disabled: {
    heading: 'No momento não é possível enviar arquivos',
    defaultMessage: '{company} não está aceitando arquivos no momento.',
    nothingAllowed: '{company} não está aceitando nenhum tipo de arquivo no momento.',
  },
  unavailable: {
    askAgent: 'Peça um novo link à pessoa que enviou este para você.',
    not_found: {
      title: 'Link não encontrado',
      body: 'Este link não existe. Verifique se você abriu o endereço completo.',
    },
    expired: { title: 'Link expirado', body: 'Este link expirou.' },
    used: { title: 'Link já usado', body: 'Um arquivo já foi enviado com este link.' },
    revoked: { title: 'Link cancelado', body: 'Este link foi cancelado.' },
  },
  rateLimited: {
    title: 'Tentativas demais',
    body: 'Esta página foi aberta vezes demais em pouco tempo. Aguarde um minuto e recarregue-a.',
  },
  viewer: {
    title: '{file} · {company}',
    heading: 'Arquivo enviado para {company}',
    download: 'Baixar',
    noPreview: 'Não há pré-visualização para este tipo de arquivo. Baixe-o para abri-lo.',
    cannotPlay: 'Seu navegador não consegue reproduzir este arquivo aqui. Baixe-o para abri-lo.',
    validUntil: 'Este link do arquivo funciona até {date}.',
  },
  fileSignIn: {
    open: 'Entrar e abrir o arquivo',
    framed: {
      title: 'Entre para abrir este arquivo',
      body: 'A empresa reserva seus arquivos aos agentes conectados. Entre em uma nova aba para abri-lo.',
    },
    grant_used: {
      title: 'Este acesso já foi usado',
      body: 'O endereço aberto trazia um acesso de uso único que já foi usado ou expirou. Entre novamente para abrir o arquivo.',
    },
    not_configured: {
      title: 'Entre para abrir este arquivo',
      body: 'A empresa reserva seus arquivos aos agentes conectados, mas este Uplink não tem login configurado para isso. Fale com o seu administrador.',
    },
  },
  fileUnavailable: {
    askCustomer: 'Se você ainda precisar do arquivo, peça ao cliente que o envie de novo.',
    not_found: {
      title: 'Link do arquivo não encontrado',
      body: 'Este link do arquivo não existe. Verifique se você abriu o endereço completo.',
    },
    expired: { title: 'Link do arquivo expirado', body: 'Este link do arquivo expirou.' },
    revoked: { title: 'Link do arquivo cancelado', body: 'Este link do arquivo foi cancelado.' },
  },
  client: {
    recording: 'Gravando…',
    recordingStopped: 'Gravação encerrada ({duration}). Ouça, depois envie ou grave de novo.',
    cameraOn: 'A câmera está ligada. Comece a gravar quando estiver pronto.',
    cameraSwitched: 'Trocamos para outra câmera.',
    limitReached: 'A gravação atingiu o tamanho máximo permitido e foi encerrada.',
    micUnavailable:
      'Não foi possível usar o microfone. Permita o acesso nas configurações do navegador e tente de novo.',
    cameraUnavailable:
      'Não foi possível usar a câmera. Permita o acesso nas configurações do navegador e tente de novo.',
    screenOn: 'Sua tela está sendo compartilhada. Comece a gravar quando estiver pronto.',
    screenUnavailable:
      'Não foi possível compartilhar a tela. Escolha o que compartilhar, permita e tente de novo.',
    screenEnded: 'O compartilhamento de tela foi encerrado.',
    notSupported:
      'Este navegador não consegue gravar aqui. Mas você ainda pode enviar um arquivo pela aba Arquivo.',
    recordingFailed:
      'A gravação não funcionou neste navegador. Você pode enviar um arquivo pela aba Arquivo ou tentar outro navegador.',
    blurLoading: 'Carregando o desfoque do fundo…',
    blurOn: 'O fundo está desfocado.',
    blurOff: 'O fundo não está mais desfocado.',
    blurFailed: 'O desfoque do fundo não está disponível neste navegador.',
    fileSelected: 'Selecionado: {name}, {size}.',
    fileTooLarge: '{name} tem {size}; o tamanho máximo permitido é {max}.',
    fileTypeNotAllowed: 'Arquivos como {name} não são aceitos aqui.',
    fileEmpty: '{name} está vazio.',
    preparing: 'Preparando o envio…',
    progress: '{sent} de {total} ({percent}%)',
    uploadingPercent: '{percent}% enviado.',
    retrying: 'A conexão caiu. Tentando de novo…',
    offline: 'Você está sem conexão. O envio continua quando a conexão voltar.',
    verifying: 'Verificando o arquivo…',
    resuming: 'Continuando o envio de {name} de onde parou…',
    recordingNames: { audio: 'mensagem-de-voz', video: 'mensagem-de-video', screen: 'gravacao-de-tela' },
    errors: {
      link_gone: 'Este link não pode mais ser usado. Peça um novo link.',
      link_not_pending: 'Um arquivo já foi enviado com este link.',
      payload_too_large: 'O arquivo é grande demais.',
      unsupported_media_type: 'Este tipo de arquivo não é aceito.',
      upload_rejected: 'O arquivo não foi aceito: {reason} Você pode tentar de novo.',
      rate_limited: 'Tentativas demais. Aguarde {seconds} segundos e tente de novo.',
      storage: 'O envio não foi concluído. Tente de novo.',
      network: 'A conexão foi perdida. Verifique sua rede e tente de novo.',
      unknown: 'Algo deu errado. Tente de novo.',
    },
  },
};
