// The installer CD's key prompt that Nova answers on a UEFI VM's install boot
// (src/core/vm/cd-prompt.ts); the CLI finds that watch among the engine's tasks by its title.
export const CD_PROMPT = 'Press any key to boot from CD or DVD';
export const cdPromptTaskTitle = (vm: string) => `${vm}: pressing a key at the installer CD's "${CD_PROMPT}"`;
