import { NovaError } from '../../../shared/errors.js';
import type { StorageFile } from '../../../shared/contract/storage.js';

// An ISO the user dropped onto (or picked in) the app, as a path on the engine's host:
// - in Electron, the file's own path (the preload asks Electron's webUtils; nothing is copied);
// - in a browser on `nova serve` (the page cannot know a file's path), an ISO of that name and
//   size already in a pool, else an upload into the default pool (PUT /upload/iso/NAME).

/** What a drop or a file picker hands over: the first file that is an ISO, or why there is none. */
export function pickIso(files: FileList | File[] | null | undefined): File | string {
  const list = files ? Array.from(files) : [];
  if (list.length === 0) return 'no file was dropped: drag the .iso file itself from your file manager';
  const iso = list.find((f) => /\.iso$/i.test(f.name));
  return iso ?? `${list[0]!.name} is not an ISO image (.iso): drop the installer's .iso file`;
}

/** An ISO already in a pool with this name and size (a second drop of the same file reuses it). */
export const sameIso = (file: { name: string; size: number }, stored: readonly StorageFile[]): StorageFile | undefined =>
  stored.find((f) => f.kind === 'iso' && f.name === file.name && f.virtualBytes === file.size);

/** The token the browser page signed in with (`nova serve`'s #token=…), if any; else the session cookie is sent. */
const token = (): string => {
  try {
    return sessionStorage.getItem('nova.token') ?? '';
  } catch {
    return '';
  }
};

/** Streams `file` into the default pool of the `nova serve` this page came from; resolves with its path there. */
export function uploadIso(file: File, onProgress: (fraction: number) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', `/upload/iso/${encodeURIComponent(file.name)}`);
    if (token()) xhr.setRequestHeader('authorization', `Bearer ${token()}`);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onerror = () => reject(new NovaError('INTERNAL', `the upload of ${file.name} was cut off: drop it again`));
    xhr.onload = () => {
      let body: { path?: string; error?: { message?: string; data?: { code?: string } } } = {};
      try {
        body = JSON.parse(xhr.responseText) as typeof body;
      } catch {
        /* not JSON: the status says it */
      }
      if (xhr.status === 200 && body.path) return resolve(body.path);
      reject(new NovaError('INTERNAL', body.error?.message ?? `the upload of ${file.name} failed (HTTP ${xhr.status})`));
    };
    xhr.send(file);
  });
}

/** The host path of a dropped or picked ISO, copying it to the engine's host only when it must. */
export async function isoHostPath(file: File, stored: readonly StorageFile[], onProgress: (fraction: number) => void): Promise<{ path: string; how: 'local' | 'stored' | 'uploaded' }> {
  const local = window.nova?.pathForFile?.(file);
  if (local) return { path: local, how: 'local' };
  const have = sameIso(file, stored);
  if (have) return { path: have.path, how: 'stored' };
  return { path: await uploadIso(file, onProgress), how: 'uploaded' };
}
