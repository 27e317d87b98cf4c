import { describe, expect, it } from 'vitest';
import type { StorageFile } from '../../../shared/contract/storage.js';
import { pickIso, sameIso } from './hostFile';

const stored = (name: string, size: number, kind: StorageFile['kind'] = 'iso'): StorageFile => ({ pool: 'default', name, path: `/pool/${name}`, kind, format: 'iso', allocatedBytes: size, virtualBytes: size, modifiedAt: 0, usedBy: [] });

describe('a dropped or picked ISO', () => {
  it('takes the first .iso of what was dropped, or says what to drop', () => {
    const iso = new File(['x'], 'Debian-12.ISO');
    expect(pickIso([new File(['t'], 'notes.txt'), iso])).toBe(iso);
    expect(pickIso([new File(['t'], 'notes.txt')])).toBe('notes.txt is not an ISO image (.iso): drop the installer\'s .iso file');
    expect(pickIso([])).toMatch(/^no file was dropped/);
    expect(pickIso(null)).toMatch(/^no file was dropped/);
  });

  it('reuses an ISO of the same name and size in a pool instead of uploading it again', () => {
    const files = [stored('a.iso', 10), stored('b.iso', 20), stored('a.qcow2', 1, 'disk')];
    expect(sameIso({ name: 'b.iso', size: 20 }, files)?.path).toBe('/pool/b.iso');
    expect(sameIso({ name: 'b.iso', size: 21 }, files)).toBeUndefined();
    expect(sameIso({ name: 'a.qcow2', size: 1 }, files)).toBeUndefined();
  });
});
