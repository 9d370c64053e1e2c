/*
 * The film upload widget of the film form (movies/widgets.py): a film chosen or dropped goes straight to
 * the storage in parallel parts, through Uppy's AwsS3 plugin (vendored, movies/vendor/). The admin only
 * opens, signs, lists, completes and cancels the upload (movies/film_uploads.py); each part carries its
 * SHA-256, which the storage checks. A part that fails is retried; after a network cut the editor presses
 * Retry, and after a reload picks the same file again: only the parts the storage lacks are sent.
 * Without JavaScript, or for a film of one part or less, the file input posts the film with the form.
 * No inline script and no style attribute: the admin's Content-Security-Policy allows neither.
 */
'use strict';

// The admin loads form media in the page's head: start once the form exists.
document.addEventListener('DOMContentLoaded', () => {
  const configElement = document.getElementById('film-upload-config');
  const widget = document.querySelector('.film-upload');
  if (!configElement || !widget || !window.Uppy || !window.fetch) return;
  const config = JSON.parse(configElement.textContent);
  const text = config.text;
  const input = document.getElementById(widget.dataset.filmUploadFor);
  const form = input.form;
  const hidden = form.elements[config.hiddenField];
  const csrfToken = form.elements.csrfmiddlewaretoken.value;
  const progress = widget.querySelector('.film-upload-progress');
  const statusLine = widget.querySelector('.film-upload-status');
  const cancelButton = widget.querySelector('.film-upload-cancel');
  const retryButton = widget.querySelector('.film-upload-retry');
  const dropZone = widget.querySelector('.film-upload-drop');
  const saveButtons = form.querySelectorAll('input[type=submit]');
  widget.hidden = false;

  // The upload under way: the admin's description of it, the Uppy file, where it resumed from.
  let current = null;

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, (match, name) => String(values[name])).replace(/%%/g, '%');
  }

  function humanBytes(bytes) {
    const units = ['B', 'KB', 'MB', 'GB', 'TB'];
    let value = bytes;
    let unit = 0;
    while (value >= 1000 && unit < units.length - 1) {
      value /= 1000;
      unit += 1;
    }
    return `${value.toFixed(unit ? 1 : 0)} ${units[unit]}`;
  }

  function humanSeconds(seconds) {
    if (!Number.isFinite(seconds)) return '…';
    const s = Math.ceil(seconds);
    const m = Math.floor(s / 60);
    return m ? `${m}:${String(s % 60).padStart(2, '0')}` : `${s} s`;
  }

  function show(message, isError) {
    statusLine.textContent = message;
    statusLine.classList.toggle('film-upload-error', Boolean(isError));
  }

  function setSaving(allowed) {
    saveButtons.forEach((button) => { button.disabled = !allowed; });
  }

  // JSON to and from the admin; a refusal is an Error with the admin's `detail`.
  async function call(method, url, body, signal) {
    const response = await fetch(url, {
      method,
      signal,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrfToken },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 204) return null;
    const data = await response.json().catch(() => ({ detail: response.statusText }));
    if (!response.ok) {
      const error = new Error(data.detail || response.statusText);
      error.source = { status: response.status };  // how Uppy decides whether to retry
      throw error;
    }
    return data;
  }

  const uploadUrl = (uploadId, path) => `${config.startUrl}${uploadId}/${path || ''}`;

  // base64 of the part's SHA-256 (x-amz-checksum-sha256). WebCrypto exists only on https and localhost;
  // elsewhere the parts go without, and only their sizes and ETags are checked.
  async function sha256(blob) {
    if (!window.crypto || !window.crypto.subtle) return '';
    const digest = new Uint8Array(await window.crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
    let binary = '';
    digest.forEach((byte) => { binary += String.fromCharCode(byte); });
    return window.btoa(binary);
  }

  const uppy = new window.Uppy.Uppy({ autoProceed: false, restrictions: { maxNumberOfFiles: 1 } });
  uppy.use(window.Uppy.AwsS3, {
    shouldUseMultipart: true,
    // Chromium sends at most 6 requests at once to one host.
    limit: 6,
    // A part that fails is sent again after these pauses (ms); then the editor sees Retry.
    retryDelays: [0, 1000, 3000, 5000, 10000],
    getChunkSize: () => current.upload.partSize,
    // The widget opens the upload itself (it must know the part size first) and hands it to Uppy as one
    // to resume, so a new upload and a resumed one take the same path.
    createMultipartUpload: () => ({ uploadId: current.upload.uploadId, key: current.upload.key }),
    signPart: async (file, { uploadId, partNumber, body, signal }) => {
      const checksum = await sha256(body);
      return call('POST', uploadUrl(uploadId, `parts/${partNumber}/sign/`), { checksum }, signal);
    },
    listParts: (file, { uploadId, signal }) => call('GET', uploadUrl(uploadId, 'parts/'), undefined, signal),
    completeMultipartUpload: (file, { uploadId, parts, signal }) =>
      call('POST', uploadUrl(uploadId, 'complete/'), { parts }, signal),
    // Cancel deletes the upload itself (below): Uppy forgets a failed upload's state, and a failure
    // must leave the upload resumable, not aborted.
    abortMultipartUpload: () => undefined,
  });

  uppy.on('upload-progress', (file, state) => {
    if (!current || !state.bytesTotal) return;
    const now = Date.now();
    if (current.startedAt === undefined) {
      current.startedAt = now;
      current.bytesAtStart = state.bytesUploaded;
    }
    const seconds = (now - current.startedAt) / 1000;
    const speed = seconds > 0.5 ? (state.bytesUploaded - current.bytesAtStart) / seconds : 0;
    const percent = Math.floor((100 * state.bytesUploaded) / state.bytesTotal);
    progress.value = percent;
    if (state.bytesUploaded >= state.bytesTotal) {
      show(text.checking);
      return;
    }
    show(format(text.uploading, {
      percent,
      speed: humanBytes(speed),
      left: humanSeconds(speed ? (state.bytesTotal - state.bytesUploaded) / speed : Infinity),
    }));
  });

  uppy.on('upload-success', (file, response) => {
    const stored = response.body;
    window.localStorage.removeItem(current.fingerprint);
    hidden.value = stored.uploadId;
    progress.value = 100;
    current = null;
    cancelButton.hidden = true;
    retryButton.hidden = true;
    show(format(text.stored, { name: stored.filename, size: humanBytes(stored.size) }));
    widget.dataset.state = 'stored';
    setSaving(true);
  });

  uppy.on('upload-error', (file, error) => {
    show(format(text.failed, { reason: error.message }), true);
    retryButton.hidden = false;
    widget.dataset.state = 'failed';
  });

  async function resumable(fingerprint, file) {
    const uploadId = window.localStorage.getItem(fingerprint);
    if (!uploadId) return null;
    try {
      const upload = await call('GET', uploadUrl(uploadId));
      if (upload.state === 'uploading' && upload.size === file.size) return upload;
    } catch (error) {
      // Gone (cancelled, removed by reconcile_uploads) or not ours: start afresh.
    }
    window.localStorage.removeItem(fingerprint);
    return null;
  }

  async function upload(file) {
    const extension = file.name.includes('.') ? file.name.split('.').pop().toLowerCase() : '';
    if (!config.allowedExtensions.includes(extension)) {
      input.value = '';
      show(format(text.notAFilm, { name: file.name, extensions: config.allowedExtensions.join(', ') }), true);
      return;
    }
    input.value = '';  // the form must not post the film's bytes as well
    hidden.value = '';
    uppy.cancelAll();
    setSaving(false);
    progress.hidden = false;
    progress.value = 0;
    retryButton.hidden = true;
    widget.dataset.state = 'uploading';
    const fingerprint = `film-upload:${file.name}:${file.size}:${file.lastModified}`;
    try {
      let described = await resumable(fingerprint, file);
      if (described === null) {
        described = await call('POST', config.startUrl, { filename: file.name, size: file.size, type: file.type });
        window.localStorage.setItem(fingerprint, described.uploadId);
      }
      current = { upload: described, fingerprint };
      widget.dataset.uploadId = described.uploadId;
      const id = uppy.addFile({ name: file.name, type: file.type, data: file, source: 'film-form' });
      uppy.setFileState(id, { s3Multipart: { uploadId: described.uploadId, key: described.key } });
      current.fileId = id;
      cancelButton.hidden = false;
      await uppy.upload();
    } catch (error) {
      show(format(text.failed, { reason: error.message }), true);
      widget.dataset.state = 'failed';
      setSaving(true);
    }
  }

  input.addEventListener('change', () => {
    const file = input.files[0];
    if (file && file.size > config.minSize) upload(file);
  });

  dropZone.addEventListener('dragover', (event) => {
    event.preventDefault();
    dropZone.classList.add('film-upload-over');
  });
  dropZone.addEventListener('dragleave', () => dropZone.classList.remove('film-upload-over'));
  dropZone.addEventListener('drop', (event) => {
    event.preventDefault();
    dropZone.classList.remove('film-upload-over');
    const file = event.dataTransfer.files[0];
    if (!file) return;
    if (file.size > config.minSize) {
      upload(file);
    } else {
      input.files = event.dataTransfer.files;  // small enough to post with the form
    }
  });

  cancelButton.addEventListener('click', async () => {
    if (!current) return;
    const { upload: described, fingerprint } = current;
    current = null;
    uppy.cancelAll();
    window.localStorage.removeItem(fingerprint);
    cancelButton.hidden = true;
    retryButton.hidden = true;
    progress.hidden = true;
    try {
      await call('DELETE', uploadUrl(described.uploadId));
      show(text.cancelled);
      widget.dataset.state = 'cancelled';
    } catch (error) {
      show(format(text.failed, { reason: error.message }), true);
    }
    setSaving(true);
  });

  retryButton.addEventListener('click', () => {
    if (!current) return;
    retryButton.hidden = true;
    widget.dataset.state = 'uploading';
    current.startedAt = undefined;
    uppy.retryUpload(current.fileId);
  });

  form.addEventListener('submit', (event) => {
    if (current) {
      event.preventDefault();
      show(text.waitForUpload, true);
    }
  });

  // The form came back with an error after the upload: the stored film is still named by the hidden field.
  if (hidden.value) {
    call('GET', uploadUrl(hidden.value)).then((stored) => {
      widget.dataset.state = 'stored';
      show(format(text.stored, { name: stored.filename, size: humanBytes(stored.size) }));
    }, () => { hidden.value = ''; });
  }
});
