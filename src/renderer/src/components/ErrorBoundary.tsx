import { Component } from 'react';
import type { ErrorInfo, ReactNode } from 'react';

interface Props {
  /** What failed, for the message ("This view", "Nova's window"). */
  what: string;
  children: ReactNode;
}

/**
 * A component that throws while rendering would otherwise unmount the whole window (React leaves
 * the root empty). Here it shows what failed and a way to try again, and the rest of the window
 * (sidebar, status bar) keeps working.
 */
export class ErrorBoundary extends Component<Props, { error?: Error }> {
  override state: { error?: Error } = {};

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo) {
    console.error(`${this.props.what} failed to render:`, error, info.componentStack);
  }

  override render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <div className="callout warn" role="alert" data-testid="render-error">
        <strong>{this.props.what} failed to show:</strong> {error.message || String(error)}{' '}
        <button type="button" onClick={() => this.setState({ error: undefined })}>
          Try again
        </button>
      </div>
    );
  }
}
