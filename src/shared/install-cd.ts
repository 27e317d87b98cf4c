// The installer CD's key prompt that Nova answers on a UEFI VM's install boot
// (src/core/vm/cd-prompt.ts); the CLI finds those watches among the engine's tasks by title.
export const CD_PROMPT = 'Press any key to boot from CD or DVD';
const TITLE_END = `: pressing a key at the installer CD's "${CD_PROMPT}"`;
export const cdPromptTaskTitle = (vm: string) => `${vm}${TITLE_END}`;
/** The VM a task title names, when it is such a watch. */
export const cdPromptTaskVm = (title: string): string | undefined => (title.endsWith(TITLE_END) ? title.slice(0, -TITLE_END.length) : undefined);
