// noVNC ships no types; this is the small part Nova uses.
declare module '@novnc/novnc' {
  export default class RFB extends EventTarget {
    constructor(target: HTMLElement, url: string, options?: { credentials?: { password?: string }; wsProtocols?: string[] });
    scaleViewport: boolean;
    resizeSession: boolean;
    viewOnly: boolean;
    disconnect(): void;
    sendCtrlAltDel(): void;
    focus(): void;
    /** Offers text to the server's clipboard (extended clipboard when the server has it). */
    clipboardPasteFrom(text: string): void;
  }
}
