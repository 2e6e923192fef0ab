/**
 * The bundle entry: defines `<shouyin-checkout>`. Loaded with
 * `<script type="module" src="https://pay.example.com/shouyin.js"></script>` (or the classic
 * `shouyin.iife.js`). Import `./shouyin-checkout` instead to get the class without registering it.
 */
import { ShouyinCheckout } from './shouyin-checkout';

export { ShouyinCheckout };
export type { ShouyinEndedDetail, ShouyinErrorDetail, ShouyinPaidDetail, ShouyinStatusDetail } from './events';

// Defining twice throws; a page may include the script twice (or both builds).
if (!customElements.get('shouyin-checkout')) customElements.define('shouyin-checkout', ShouyinCheckout);
